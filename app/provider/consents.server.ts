/**
 * Consent for third-party apps: what a person allowed an app to see, remembered per person, app and
 * scopes until they revoke it on the account page. The consent page's flow and "revoke access" live here
 * too. Owner of the oauth_consents table.
 */
import type { AuthDeps } from "~/auth/deps";
import { and, eq } from "drizzle-orm";
import { oauthConsents } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { recordAuthEvent } from "~/auth/audit/events.server";
import { coversScopes, formatScope, scopeWords, type Scope } from "./claims";
import { answerStoredRequestStatement, findStoredRequest, resumePath } from "./authorize.server";
import { clientNameQuery } from "./clients.server";
import { revokeAppGrantsStatements } from "./grants.server";

/** The parts of AuthDeps this needs. */
export type ConsentDeps = Pick<AuthDeps, "db" | "config" | "now" | "waitUntil">;

function consentQuery(db: Database, { userId, clientId }: { userId: string; clientId: string }) {
  return db
    .select({ scope: oauthConsents.scope })
    .from(oauthConsents)
    .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
    .limit(1);
}

/** True when this person already allowed this app every scope in `scope`. */
export async function consentCovers(db: Database, input: { userId: string; clientId: string; scope: string }): Promise<boolean> {
  const [row] = await consentQuery(db, input);
  return coversScopes(row?.scope, input.scope);
}

export type ConsentView =
  | { ok: true; clientName: string; scopes: Scope[]; newScopes: Scope[] }
  | { ok: false; reason: "expired" };

/** What the consent page shows for a stored request: the app and what it asks for (new asks marked). */
export async function loadConsentRequest(deps: ConsentDeps, { resumeId, userId }: { resumeId: unknown; userId: string }): Promise<ConsentView> {
  const row = await findStoredRequest(deps.db, resumeId, deps.now());
  if (!row) return { ok: false, reason: "expired" };
  const [existing] = await consentQuery(deps.db, { userId, clientId: row.client.id });
  const scopes = scopeWords(row.request.scope) as Scope[];
  const allowed = new Set(scopeWords(existing?.scope));
  return { ok: true, clientName: row.client.name, scopes, newScopes: scopes.filter((scope) => !allowed.has(scope)) };
}

export type ConsentAnswer = { ok: true; next: string } | { ok: false; reason: "expired" };

/**
 * The person's answer. Allowing remembers the union of what they allowed before and now, and marks the
 * request approved by them (prompt=consent asks even when remembered); declining marks it denied. Either
 * way the browser goes back to /oauth/authorize, which sends the app its code or `access_denied`.
 */
export async function answerConsent(
  deps: ConsentDeps,
  { resumeId, userId, allow, client }: { resumeId: unknown; userId: string; allow: boolean; client: ClientInfo },
): Promise<ConsentAnswer> {
  const now = deps.now();
  const row = await findStoredRequest(deps.db, resumeId, now);
  if (!row) return { ok: false, reason: "expired" };
  const { request, client: app } = row;
  if (!allow) {
    await answerStoredRequestStatement(deps.db, request.id, { deniedAt: now });
    return { ok: true, next: resumePath(request.id) };
  }
  const [existing] = await consentQuery(deps.db, { userId, clientId: app.id });
  const scope = formatScope([...scopeWords(existing?.scope), ...scopeWords(request.scope)]);
  await deps.db.batch([
    deps.db
      .insert(oauthConsents)
      .values({ userId, clientId: app.id, scope, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: [oauthConsents.userId, oauthConsents.clientId], set: { scope, updatedAt: now } }),
    answerStoredRequestStatement(deps.db, request.id, { consentedBy: userId }),
  ]);
  recordAuthEvent(deps, { type: "app_authorized", detail: `consent: ${app.name.slice(0, 90)}`, userId, client });
  return { ok: true, next: resumePath(request.id) };
}

/**
 * "Revoke access" on the account page: the app's grants for this person (its refresh tokens stop
 * working now, its access tokens at /oauth/userinfo) and the remembered consent, in one batch.
 */
export async function revokeAppAccess(
  deps: ConsentDeps,
  { userId, clientId, client }: { userId: string; clientId: string; client: ClientInfo },
): Promise<{ ok: boolean }> {
  const [app, , , grants, consents] = await deps.db.batch([
    clientNameQuery(deps.db, clientId),
    ...revokeAppGrantsStatements(deps.db, { userId, clientId }),
    deps.db
      .delete(oauthConsents)
      .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
      .returning({ clientId: oauthConsents.clientId }),
  ]);
  const ok = grants.length > 0 || consents.length > 0;
  if (ok) recordAuthEvent(deps, { type: "app_access_revoked", detail: (app[0]?.name ?? clientId).slice(0, 100), userId, client });
  return { ok };
}

/** Account deletion: every consent the user gave. */
export function deleteUserConsents(db: Database, userId: string) {
  return db.delete(oauthConsents).where(eq(oauthConsents.userId, userId));
}
