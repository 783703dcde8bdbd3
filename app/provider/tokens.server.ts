/**
 * The JWTs Latchkey issues, signed and verified with jose (no hand-written JWT code): ID tokens (OIDC
 * Core §2) and access tokens (RFC 9068, `typ: at+jwt`). Both live TOKEN_LIFETIME_S (ten minutes).
 */
import { SignJWT, compactVerify, createLocalJWKSet, decodeJwt, jwtVerify, type JWTPayload } from "jose";
import { authenticationContext } from "./claims";
import { TOKEN_LIFETIME_S, jwksDocument, type Signer, type SigningKeyRow } from "./keys.server";

/** What was true when the person authorized the app: from the grant (and, for a new one, the code). */
export interface AuthorizationFacts {
  grantId: string;
  clientId: string;
  userId: string;
  sessionId: string;
  scope: string;
  authTime: Date;
  method: string | null;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * The `sid` claim: one value per Latchkey session, the same for every app (OIDC Session Management), and
 * not the session row's id itself. That id is already a hash of a 256-bit token; hashing it again with a
 * label keeps the two unlinkable without a key to manage.
 */
export async function sessionIdClaim(sessionId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`latchkey oidc sid\u0000${sessionId}`));
  return btoa(String.fromCharCode(...new Uint8Array(digest).slice(0, 18)))
    .replaceAll("+", "-")
    .replaceAll("/", "_");
}

export async function signIdToken(
  signer: Signer,
  { issuer, facts, claims, nonce, now }: { issuer: string; facts: AuthorizationFacts; claims: Record<string, unknown>; nonce: string | null; now: Date },
): Promise<string> {
  const { amr, acr } = authenticationContext(facts.method);
  const payload: JWTPayload = {
    ...claims,
    auth_time: seconds(facts.authTime),
    amr,
    acr,
    sid: await sessionIdClaim(facts.sessionId),
  };
  if (nonce !== null) payload.nonce = nonce;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "JWT" })
    .setIssuer(issuer)
    .setSubject(facts.userId)
    .setAudience(facts.clientId)
    .setIssuedAt(seconds(now))
    .setExpirationTime(seconds(now) + TOKEN_LIFETIME_S)
    .sign(signer.key);
}

/**
 * An RFC 9068 access token. `gid` names the grant, so /oauth/userinfo can refuse a token whose grant was
 * revoked without waiting for it to expire; an API verifying it locally can't, and accepts it until `exp`.
 */
export async function signAccessToken(
  signer: Signer,
  { issuer, facts, audience, scope, now }: { issuer: string; facts: AuthorizationFacts; audience: string; scope: string; now: Date },
): Promise<string> {
  const { amr, acr } = authenticationContext(facts.method);
  return new SignJWT({
    client_id: facts.clientId,
    scope,
    auth_time: seconds(facts.authTime),
    amr,
    acr,
    sid: await sessionIdClaim(facts.sessionId),
    gid: facts.grantId,
  })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" })
    .setIssuer(issuer)
    .setSubject(facts.userId)
    .setAudience(audience)
    .setIssuedAt(seconds(now))
    .setExpirationTime(seconds(now) + TOKEN_LIFETIME_S)
    .setJti(crypto.randomUUID())
    .sign(signer.key);
}

export interface AccessTokenClaims {
  sub: string;
  client_id: string;
  scope: string;
  gid: string;
  exp: number;
}

export type AccessTokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: "malformed" | "invalid" | "expired" };

/** The grant id an access token names, read before its signature is checked (to plan the lookup). */
export function unverifiedGrantId(token: string): string | null {
  try {
    const gid = decodeJwt(token).gid;
    return typeof gid === "string" ? gid : null;
  } catch {
    return null;
  }
}

/** Checks an access token's signature (any published key), issuer, type and expiry at `now`. */
export async function verifyAccessToken(
  token: string,
  { keys, issuer, now }: { keys: SigningKeyRow[]; issuer: string; now: Date },
): Promise<AccessTokenCheck> {
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return { ok: false, reason: "malformed" };
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwksDocument(keys)), {
      issuer,
      typ: "at+jwt",
      currentDate: now,
      requiredClaims: ["sub", "exp", "client_id", "gid"],
    });
    const { sub, client_id, scope, gid, exp } = payload;
    if (typeof client_id !== "string" || typeof gid !== "string" || typeof sub !== "string") return { ok: false, reason: "invalid" };
    return { ok: true, claims: { sub, client_id, gid, exp: exp!, scope: typeof scope === "string" ? scope : "" } };
  } catch (error) {
    return { ok: false, reason: (error as { code?: string }).code === "ERR_JWT_EXPIRED" ? "expired" : "invalid" };
  }
}

/**
 * An `id_token_hint` (RP-initiated logout): signed by one of our published keys and issued by us. Its
 * expiry doesn't matter (the spec allows an expired ID token as a hint), so only the signature is
 * verified, then the claims are read.
 */
export async function readIdTokenHint(
  token: string,
  { keys, issuer }: { keys: SigningKeyRow[]; issuer: string },
): Promise<{ aud: string; sub: string; sid: string | null } | null> {
  try {
    await compactVerify(token, createLocalJWKSet(jwksDocument(keys)));
    const claims = decodeJwt(token);
    const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
    if (claims.iss !== issuer || typeof aud !== "string" || typeof claims.sub !== "string") return null;
    return { aud, sub: claims.sub, sid: typeof claims.sid === "string" ? claims.sid : null };
  } catch {
    return null;
  }
}
