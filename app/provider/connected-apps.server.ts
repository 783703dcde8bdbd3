/**
 * The apps a person signed into with Latchkey, for the account page: which ones, what they may see, when
 * they last used their access, and "revoke access". Reads across the provider's tables; the writes are
 * the grants' and consents' owners'.
 */
import { sql } from "drizzle-orm";
import type { AuthDeps } from "~/auth/deps";
import { oauthClients, oauthConsents, oauthGrants as grants, sessions } from "~/db/schema";
import { formatScope, scopeWords } from "./claims";

export interface ConnectedApp {
  clientId: string;
  name: string;
  firstParty: boolean;
  /** What it may see: the consented scopes (third-party) or the live grants' scopes. */
  scope: string;
  lastUsedAt: Date | null;
}

/**
 * Apps this person signed into with a session that's still alive, or gave consent to: a statement and
 * its reader, so the account page reads it in its one D1 batch.
 */
export function connectedAppsQuery(deps: Pick<AuthDeps, "db" | "config">, { userId, now }: { userId: string; now: Date }) {
  const idleCutoff = now.getTime() - deps.config.sessionIdleMs;
  type Row = { client_id: string; name: string; first_party: number; consented: string | null; granted: string | null; last_used_at: number | null };
  const statement = deps.db.all<Row>(sql`
    SELECT c.id AS client_id, c.name AS name, c.first_party AS first_party, consent.scope AS consented,
      (SELECT group_concat(g.scope, ' ') FROM ${grants} g JOIN ${sessions} s ON s.id = g.session_id
        WHERE g.client_id = c.id AND g.user_id = ${userId} AND s.expires_at > ${now.getTime()} AND s.last_seen_at > ${idleCutoff}) AS granted,
      (SELECT max(g.last_used_at) FROM ${grants} g JOIN ${sessions} s ON s.id = g.session_id
        WHERE g.client_id = c.id AND g.user_id = ${userId} AND s.expires_at > ${now.getTime()} AND s.last_seen_at > ${idleCutoff}) AS last_used_at
    FROM ${oauthClients} c
    LEFT JOIN ${oauthConsents} consent ON consent.client_id = c.id AND consent.user_id = ${userId}
    WHERE c.disabled_at IS NULL AND (consent.user_id IS NOT NULL OR granted IS NOT NULL)
    ORDER BY last_used_at DESC, c.name`);
  const read = (rows: Row[]): ConnectedApp[] =>
    rows.map((row) => ({
      clientId: row.client_id,
      name: row.name,
      firstParty: row.first_party === 1,
      scope: formatScope([...scopeWords(row.consented), ...scopeWords(row.granted)]),
      lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    }));
  return { statement, read };
}
