/** The daily cron trigger's work (wrangler.toml [triggers]), in app/auth/housekeeping.server.ts. */
import type { AppConfig } from "~/lib/env.server";
import { createDb } from "~/lib/db.server";
import { purgeExpiredRows as purge, rotateKeysIfDue as rotate } from "~/auth/housekeeping.server";

export function purgeExpiredRows(d1: D1Database, now: Date, config: AppConfig): Promise<Record<string, number>> {
  return purge(createDb(d1), now, config);
}

export function rotateKeysIfDue(d1: D1Database, now: Date, config: AppConfig): Promise<{ created: string[] }> {
  return rotate(createDb(d1), now, config);
}
