/** The GitHub account linked to a user, for the account page (the most recently used, if several). */
import type { Database } from "~/lib/db.server";
import type { Identity } from "~/db/schema";

export async function findGitHubIdentity(db: Database, userId: string): Promise<Pick<Identity, "login" | "name" | "avatarUrl"> | null> {
  const row = await db.$client
    .prepare(`SELECT login, name, avatar_url FROM identities WHERE user_id = ?1 AND provider = 'github' ORDER BY updated_at DESC LIMIT 1`)
    .bind(userId)
    .first<{ login: string | null; name: string | null; avatar_url: string | null }>();
  return row && { login: row.login, name: row.name, avatarUrl: row.avatar_url };
}
