/**
 * The security log (LOG-1): who signed in how, what failed, which limits were hit. Entries carry a
 * keyed hash of the email (correlatable, not reversible by a dictionary of addresses), never tokens,
 * codes or cookies. Writing is off the response path: callers hand the promise to waitUntil.
 */
import { authEvents, type AuthEvent } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { keyedHash } from "~/lib/crypto.server";

export type AuthEventType = AuthEvent["type"];

export interface EventDeps {
  db: Database;
  config: AppConfig;
  now: () => Date;
  waitUntil: (promise: Promise<unknown>) => void;
}

export function hashEmailForLog(config: AppConfig, email: string): Promise<string> {
  return keyedHash(config.sessionSecrets[0]!, "auth-event-email", email);
}

/** Records an event after the response; a failed write is logged, never surfaced to the person. */
export function recordAuthEvent(
  { db, config, now, waitUntil }: EventDeps,
  event: { type: AuthEventType; detail?: string; email?: string | null; userId?: string | null; client: ClientInfo },
): void {
  const createdAt = now();
  const write = async () => {
    await db.insert(authEvents).values({
      type: event.type,
      detail: event.detail ?? null,
      userId: event.userId ?? null,
      emailHash: event.email ? await hashEmailForLog(config, event.email) : null,
      ip: event.client.ip,
      userAgent: event.client.userAgent,
      country: event.client.country,
      createdAt,
    });
  };
  waitUntil(write().catch((error) => console.error(`auth event "${event.type}" not recorded`, error)));
}
