/**
 * The UserInfo endpoint (OIDC Core §5.3): the claims an access token's scopes release. Unlike an API
 * verifying the JWT on its own, this checks D1 too, so a token whose grant or session has ended is
 * refused at once, not when it expires.
 */
import type { AuthDeps } from "~/auth/deps";
import { hasScope, scopedClaims } from "./claims";
import { liveGrantQuery, readLiveGrant } from "./grants.server";
import { publishedKeysQuery } from "./keys.server";
import { unverifiedGrantId, verifyAccessToken } from "./tokens.server";

/** The parts of AuthDeps this needs. */
export type UserInfoDeps = Pick<AuthDeps, "db" | "config" | "now">;

export type UserInfoResult =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; status: 401 | 403; error: "invalid_token" | "insufficient_scope"; description: string };

export async function userInfo(deps: UserInfoDeps, { token }: { token: string }): Promise<UserInfoResult> {
  const invalid = (description: string): UserInfoResult => ({ ok: false, status: 401, error: "invalid_token", description });
  const grantId = unverifiedGrantId(token);
  if (!grantId) return invalid("The access token is malformed.");
  const now = deps.now();
  // The keys and the grant in one round trip; the grant is only trusted once the signature checks out.
  const [keys, grantRows] = await deps.db.batch([publishedKeysQuery(deps.db, now), liveGrantQuery(deps.db, grantId, now, deps.config)]);
  const check = await verifyAccessToken(token, { keys, issuer: deps.config.appUrl, now });
  if (!check.ok) return invalid(check.reason === "expired" ? "The access token has expired." : "The access token is invalid.");
  const grant = readLiveGrant(grantRows);
  if (!grant || grant.clientId !== check.claims.client_id || grant.person.id !== check.claims.sub) {
    return invalid("The access token was revoked: the person signed out or revoked this app's access.");
  }
  if (!hasScope(check.claims.scope, "openid")) {
    return { ok: false, status: 403, error: "insufficient_scope", description: "UserInfo needs an access token with the openid scope." };
  }
  return { ok: true, claims: { sub: grant.person.id, ...scopedClaims(grant.person, check.claims.scope) } };
}
