/**
 * The token endpoint (RFC 6749 §3.2, §4.1.3, §6; OIDC Core §3.1.3) and the revocation endpoint (RFC 7009):
 * authenticate the client, then redeem a code or rotate a refresh token into signed tokens, or revoke.
 * Answers are values (status + JSON body); the Hono sub-app in ./app.ts turns them into responses.
 */
import type { AuthDeps } from "~/auth/deps";
import type { ClientInfo } from "~/lib/client-info.server";
import { consumeRateLimit, rateLimitReached } from "~/lib/rate-limit.server";
import { recordAuthEvent, recordLimitHit } from "~/auth/audit/events.server";
import { clientLimitKey } from "~/auth/gates.server";
import { coversScopes, formatScope, hasScope, scopeWords, scopedClaims } from "./claims";
import { authenticateClient, type OAuthClient } from "./clients.server";
import { findGrantOfRefreshToken, redeemAuthorizationCode, revokeGrant, rotateRefreshToken, type Issued } from "./grants.server";
import { publishedKeysQuery, signerFor, TOKEN_LIFETIME_S } from "./keys.server";
import { signAccessToken, signIdToken, verifyAccessToken } from "./tokens.server";

/** The parts of AuthDeps this needs. */
export type TokenDeps = Pick<AuthDeps, "db" | "config" | "now" | "kv" | "waitUntil">;

export interface EndpointAnswer {
  status: 200 | 400 | 401 | 429;
  body: Record<string, unknown> | null;
  headers?: Record<string, string>;
}

const error = (status: 400 | 401 | 429, code: string, description: string, headers?: Record<string, string>): EndpointAnswer => ({
  status,
  body: { error: code, error_description: description },
  headers,
});

export interface EndpointRequest {
  /** The Authorization header, if any. */
  authorization: string | null;
  form: URLSearchParams;
  client: ClientInfo;
}

/** Parameters that may appear at most once in a token or revocation request (RFC 6749 §3.2). */
const SINGLE_VALUED = ["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id", "client_secret", "token", "token_type_hint"];

/**
 * Client authentication behind a per-IP gate that counts only failures (KV, approximate; RL-1, RL-5):
 * guessing client secrets gets slow, while a working client is never limited by its own requests.
 */
async function authenticate(deps: TokenDeps, request: EndpointRequest): Promise<{ ok: true; client: OAuthClient } | { ok: false; answer: EndpointAnswer }> {
  const limit = { name: "client-auth", subject: await clientLimitKey(deps.config, request.client), rate: deps.config.limits.ipVerify };
  // The KV read and the D1 lookup run side by side; over the limit, the answer is 429 whatever the
  // credentials were, so checking them first reveals nothing.
  const [gate, result] = await Promise.all([
    rateLimitReached({ kv: deps.kv, now: deps.now() }, limit),
    authenticateClient(deps.db, { authorization: request.authorization, form: request.form }),
  ]);
  if (!gate.ok) {
    recordLimitHit(deps, { limit: "client-auth", subject: limit.subject, windowMs: limit.rate.windowMs, email: null, client: request.client });
    return {
      ok: false,
      answer: error(429, "invalid_client", `Too many failed client authentications from this address. Try again in ${gate.retryAfterSeconds} seconds.`, {
        "Retry-After": String(gate.retryAfterSeconds),
      }),
    };
  }
  if (result.ok) return result;
  if (result.error === "invalid_request") return { ok: false, answer: error(400, "invalid_request", result.description) };
  await consumeRateLimit({ kv: deps.kv, now: deps.now(), waitUntil: deps.waitUntil }, limit);
  recordAuthEvent(deps, { type: "client_auth_failed", detail: result.clientId?.slice(0, 100), client: request.client });
  // RFC 6749 §5.2: 401 with a challenge for the scheme the client can use.
  return { ok: false, answer: error(401, "invalid_client", result.description, { "WWW-Authenticate": 'Basic realm="latchkey", charset="UTF-8"' }) };
}

/** POST /oauth/token. */
export async function handleTokenRequest(deps: TokenDeps, request: EndpointRequest): Promise<EndpointAnswer> {
  const { form } = request;
  const repeated = SINGLE_VALUED.find((name) => form.getAll(name).length > 1);
  if (repeated) return error(400, "invalid_request", `${repeated} was sent more than once.`);
  const auth = await authenticate(deps, request);
  if (!auth.ok) return auth.answer;
  const client = auth.client;

  switch (form.get("grant_type")) {
    case "authorization_code":
      return exchangeCode(deps, client, form);
    case "refresh_token":
      return refresh(deps, client, form);
    case null:
    case "":
      return error(400, "invalid_request", "grant_type is missing.");
    default:
      return error(400, "unsupported_grant_type", "Use grant_type=authorization_code or refresh_token.");
  }
}

/** Why a code didn't redeem, for the developer reading the error (the error code is always invalid_grant). */
const CODE_PROBLEMS = {
  unknown: "The authorization code is invalid.",
  replayed: "The authorization code was already used; the tokens issued for it have been revoked.",
  expired: "The authorization code has expired (codes live 60 seconds).",
  "wrong-client": "The authorization code was issued to another client.",
  "wrong-redirect-uri": "redirect_uri doesn't match the one in the authorization request.",
  "wrong-verifier": "code_verifier doesn't match the code_challenge (PKCE).",
  "session-ended": "The person's Latchkey session has ended, or the client was disabled.",
} as const;

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

async function exchangeCode(deps: TokenDeps, client: OAuthClient, form: URLSearchParams): Promise<EndpointAnswer> {
  const code = form.get("code");
  const redirectUri = form.get("redirect_uri");
  const codeVerifier = form.get("code_verifier");
  if (!code) return error(400, "invalid_request", "code is missing.");
  if (!redirectUri) return error(400, "invalid_request", "redirect_uri is missing.");
  if (!codeVerifier) return error(400, "invalid_request", "code_verifier is missing: PKCE is required.");
  if (!CODE_VERIFIER.test(codeVerifier)) return error(400, "invalid_request", "code_verifier must be 43–128 characters of A–Z, a–z, 0–9, '-', '.', '_' or '~'.");
  if (code.length > 128) return error(400, "invalid_grant", CODE_PROBLEMS.unknown);

  const redeemed = await redeemAuthorizationCode(deps, { code, clientId: client.id, redirectUri, codeVerifier });
  if (!redeemed.ok) return error(400, "invalid_grant", CODE_PROBLEMS[redeemed.reason]);
  return issueTokens(deps, client, redeemed, { nonce: redeemed.nonce, scope: redeemed.facts.scope });
}

async function refresh(deps: TokenDeps, client: OAuthClient, form: URLSearchParams): Promise<EndpointAnswer> {
  const token = form.get("refresh_token");
  if (!token) return error(400, "invalid_request", "refresh_token is missing.");
  if (token.length > 128) return error(400, "invalid_grant", "The refresh token is invalid.");
  const rotated = await rotateRefreshToken(deps, { refreshToken: token, clientId: client.id });
  if (!rotated.ok) {
    const why = {
      unknown: "The refresh token is invalid.",
      reused: "The refresh token was already used; every token of this sign-in has been revoked.",
      revoked: "The refresh token was revoked: the person signed out, or access was revoked.",
    }[rotated.reason];
    return error(400, "invalid_grant", why);
  }
  // RFC 6749 §6: a narrower scope for this access token only; never more than was granted.
  const asked = form.get("scope");
  if (asked !== null && !coversScopes(rotated.facts.scope, asked)) return error(400, "invalid_scope", "scope may only narrow what was granted.");
  const scope = asked === null ? rotated.facts.scope : formatScope(scopeWords(asked));
  // OIDC Core §12.2: a refreshed ID token has the original auth_time and no nonce.
  return issueTokens(deps, client, rotated, { nonce: null, scope });
}

async function issueTokens(deps: TokenDeps, client: OAuthClient, issued: Issued, { nonce, scope }: { nonce: string | null; scope: string }): Promise<EndpointAnswer> {
  const now = deps.now();
  const issuer = deps.config.appUrl;
  const signer = await signerFor(deps, issued.keys, client.signingAlg);
  const accessToken = await signAccessToken(signer, { issuer, facts: issued.facts, audience: client.audience ?? client.id, scope, now });
  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: TOKEN_LIFETIME_S,
    scope,
  };
  if (hasScope(scope, "openid")) {
    body.id_token = await signIdToken(signer, { issuer, facts: issued.facts, claims: scopedClaims(issued.person, scope), nonce, now });
  }
  if (issued.refreshToken) body.refresh_token = issued.refreshToken;
  return { status: 200, body };
}

/**
 * POST /oauth/revoke (RFC 7009). A refresh token or an access token ends its whole grant: the refresh
 * token stops working and access tokens are refused at /oauth/userinfo (an API that verifies them
 * itself accepts them until they expire, at most ten minutes). Unknown and expired tokens are a 200.
 */
export async function handleRevocationRequest(deps: TokenDeps, request: EndpointRequest): Promise<EndpointAnswer> {
  const { form } = request;
  const repeated = SINGLE_VALUED.find((name) => form.getAll(name).length > 1);
  if (repeated) return error(400, "invalid_request", `${repeated} was sent more than once.`);
  const auth = await authenticate(deps, request);
  if (!auth.ok) return auth.answer;
  const token = form.get("token");
  if (!token) return error(400, "invalid_request", "token is missing.");
  if (token.length > 4096) return { status: 200, body: null };

  // The hint only says where to look first (RFC 7009 §2.1); the token's shape says what it is.
  let grantId: string | null = null;
  let issuedTo: string | null = null;
  if (token.includes(".")) {
    const keys = await publishedKeysQuery(deps.db, deps.now());
    const check = await verifyAccessToken(token, { keys, issuer: deps.config.appUrl, now: deps.now() });
    if (check.ok) {
      grantId = check.claims.gid;
      issuedTo = check.claims.client_id;
    }
  } else {
    const found = await findGrantOfRefreshToken(deps.db, token);
    grantId = found?.grantId ?? null;
    issuedTo = found?.clientId ?? null;
  }
  if (grantId === null) return { status: 200, body: null };
  // RFC 7009 §2.1: a client may only revoke its own tokens.
  if (issuedTo !== auth.client.id) return error(400, "invalid_request", "This token was issued to another client.");
  await revokeGrant(deps.db, grantId);
  return { status: 200, body: null };
}
