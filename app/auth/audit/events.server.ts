/**
 * The security log (LOG-1): who signed in how, what failed, which limits were hit. Entries carry a
 * keyed hash of the email (correlatable, not reversible by a dictionary of addresses), never tokens,
 * codes or cookies. Writing is off the response path: callers hand the promise to waitUntil.
 *
 * Refusals must stay cheap under a flood: a limit hit is recorded once per limit, client and window, and
 * malformed submissions are counted on one row per window, so D1 grows with keys × windows, never with
 * the number of requests.
 */
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { authEvents, users, type AuthEvent } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { keyedHash } from "~/lib/crypto.server";
import type { AuthDeps } from "../deps";

export type AuthEventType = AuthEvent["type"];

type EventDeps = Pick<AuthDeps, "db" | "config" | "now" | "waitUntil">;

/** How long the security log is kept: long enough to investigate, short enough not to hoard. */
export const AUTH_EVENT_RETENTION_MS = 180 * 24 * 60 * 60 * 1000;

export interface AuthEventInput {
  type: AuthEventType;
  detail?: string;
  email?: string | null;
  userId?: string | null;
  /**
   * Attribute the entry to the account that owns `email`, if there is one (e.g. wrong codes typed for an
   * existing address), so its owner sees it on the account page. Unknown addresses stay unattributed.
   */
  attributeToEmailOwner?: boolean;
  /** Entries with the same key share one row whose `count` goes up (the first one's details are kept). */
  dedupeKey?: string | Promise<string>;
  client: ClientInfo;
}

export function hashEmailForLog(config: AppConfig, email: string): Promise<string> {
  return keyedHash(config.sessionSecrets[0]!, "auth-event-email", email);
}

/** Records an event after the response; a failed write is logged, never surfaced to the person. */
export function recordAuthEvent(deps: EventDeps, event: AuthEventInput): void {
  const createdAt = deps.now().getTime();
  const write = async () => {
    const emailHash = event.email ? await hashEmailForLog(deps.config, event.email) : null;
    const userId =
      event.userId ?? (event.attributeToEmailOwner && event.email ? sql`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${event.email})` : null);
    await deps.db.run(sql`
      INSERT INTO ${authEvents} (type, detail, user_id, email_hash, ip, user_agent, country, created_at, dedupe_key, count)
      VALUES (${event.type}, ${event.detail ?? null}, ${userId}, ${emailHash}, ${event.client.ip}, ${event.client.userAgent},
        ${event.client.country}, ${createdAt}, ${(await event.dedupeKey) ?? null}, 1)
      ON CONFLICT (dedupe_key) DO UPDATE SET count = count + 1`);
  };
  deps.waitUntil(write().catch((error) => console.error(`auth event "${event.type}" not recorded`, error)));
}

/**
 * Limit hits this isolate already recorded: later refusals in the same window skip the D1 write entirely.
 * Bounded, so a flood of distinct keys can't grow memory; a forgotten key costs one more no-op insert.
 */
const recordedHits = new Set<string>();
const MAX_REMEMBERED_HITS = 2048;

/**
 * A refusal by a rate limit: one row per limit, subject (a client key or an address) and window, however
 * many requests. The stored key holds only a keyed hash of the subject.
 */
export function recordLimitHit(
  deps: EventDeps,
  { limit, subject, windowMs, email, client }: { limit: string; subject: string; windowMs: number; email: string | null; client: ClientInfo },
): void {
  const window = Math.floor(deps.now().getTime() / windowMs);
  const memo = `${limit}\u0000${subject}\u0000${window}`;
  if (recordedHits.has(memo)) return;
  if (recordedHits.size >= MAX_REMEMBERED_HITS) recordedHits.clear();
  recordedHits.add(memo);
  const dedupeKey = keyedHash(deps.config.sessionSecrets[0]!, "limit-hit", limit, subject, String(window)).then((hash) => `limit:${limit}:${hash.slice(0, 32)}`);
  recordAuthEvent(deps, { type: "rate_limited", detail: limit, email, client, dedupeKey, attributeToEmailOwner: true });
}

/** Test hook: forget which limit hits this isolate has recorded (tests clear D1 between cases). */
export function forgetRecordedLimitHits(): void {
  recordedHits.clear();
}

/** A user's most recent entries of the given types, newest first (the account page's activity list). */
export function listUserEvents(db: Database, { userId, types, limit }: { userId: string; types: AuthEvent["type"][]; limit: number }) {
  return db
    .select({
      id: authEvents.id,
      type: authEvents.type,
      detail: authEvents.detail,
      userAgent: authEvents.userAgent,
      country: authEvents.country,
      createdAt: authEvents.createdAt,
    })
    .from(authEvents)
    .where(and(eq(authEvents.userId, userId), inArray(authEvents.type, types)))
    .orderBy(desc(authEvents.createdAt), desc(authEvents.id))
    .limit(limit);
}

/** Account deletion keeps the log (it never held the email itself) but no longer ties it to anyone. */
export function detachUserEvents(db: Database, userId: string) {
  return db.update(authEvents).set({ userId: null }).where(eq(authEvents.userId, userId));
}

/** Daily purge: entries older than the retention period. */
export function deleteOldEvents(db: Database, now: Date) {
  return db.delete(authEvents).where(lt(authEvents.createdAt, new Date(now.getTime() - AUTH_EVENT_RETENTION_MS)));
}
