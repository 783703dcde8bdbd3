/**
 * Verifying a Google ID token (from the token endpoint or from One Tap) with jose: RS256 signature
 * against Google's published keys, `iss`, `aud` (our client id, and `azp` when present), `exp` and `iat`
 * with a minute of skew, and the `nonce` we expect. The claims come back only if every check passed;
 * whether the email is verified is the caller's decision (it is a claim, not a validity check).
 *
 * Keys are cached per isolate for an hour. A token whose `kid` isn't in the cache makes us fetch the key
 * set again (Google rotates keys), at most once every 30 seconds, so tokens with made-up kids can't turn
 * us into a proxy hammering Google. Fetching gets the same 5-second deadline as every call to Google.
 */
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet } from "jose";
import * as z from "zod/mini";
import { withinDeadline } from "~/lib/deadline";
import type { GoogleConfig } from "~/lib/env.server";

export const GOOGLE_TIMEOUT_MS = 5_000;
/** Clock skew allowed on `exp`, `iat` (and `nbf`): small, since both clocks are NTP-synced servers. */
export const CLOCK_SKEW_SECONDS = 60;
/** An ID token older than this is refused even if Google would still call it valid (ours are fresh). */
export const MAX_TOKEN_AGE_SECONDS = 10 * 60;
export const JWKS_MAX_AGE_MS = 60 * 60 * 1000;
export const JWKS_REFETCH_COOLDOWN_MS = 30 * 1000;

/** Google (or its key endpoint) didn't answer in time, answered with an error, or answered nonsense. */
export class GoogleUnavailableError extends Error {
  constructor(readonly why: string) {
    super(`Google unavailable: ${why}`);
    this.name = "GoogleUnavailableError";
  }
}

export interface GoogleClaims {
  /** Google's stable account id: the only key (emails change). */
  sub: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  /** The Google Workspace domain, for Workspace accounts. */
  hostedDomain: string | null;
}

export type IdTokenResult =
  | { ok: true; claims: GoogleClaims }
  | { ok: false; reason: "invalid-token"; why: string }
  | { ok: false; reason: "unavailable"; why: string };

const text = (max?: number) => z.optional(max === undefined ? z.string() : z.string().check(z.maxLength(max)));
const Claims = z.object({
  sub: z.string().check(z.minLength(1), z.maxLength(255)),
  email: text(320),
  email_verified: z.optional(z.boolean()),
  name: text(255),
  picture: text(2048),
  hd: text(255),
  azp: text(),
  nonce: text(),
});

interface CachedKeys {
  jwks: JSONWebKeySet;
  fetchedAt: number;
}

/**
 * Key sets by JWKS URL, for this isolate. Held on globalThis so every copy of this module in the isolate
 * (the Remix server build bundles its own) shares one cache, and tests can empty it.
 */
const keyCache: Map<string, CachedKeys> = ((globalThis as Record<symbol, unknown>)[Symbol.for("latchkey.google-keys")] ??= new Map()) as Map<
  string,
  CachedKeys
>;

/** For tests: start from an empty cache, as a new isolate would. */
export function forgetGoogleKeys(): void {
  keyCache.clear();
}

async function fetchKeys(jwksUri: string, timeoutMs: number): Promise<JSONWebKeySet> {
  return withinDeadline(
    timeoutMs,
    async (signal) => {
      let response: Response;
      try {
        response = await fetch(jwksUri, { headers: { Accept: "application/json" }, signal });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw new GoogleUnavailableError(`keys: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new GoogleUnavailableError(`keys answered ${response.status}`);
      }
      const body: unknown = await response.json().catch(() => null);
      const keys = (body as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(keys)) throw new GoogleUnavailableError("keys answered an unexpected body");
      return { keys } as JSONWebKeySet;
    },
    () => new GoogleUnavailableError("timeout"),
  );
}

const hasKey = (jwks: JSONWebKeySet, kid: string | undefined) => jwks.keys.some((key) => key.kid === kid);

/** The key set to verify a token with `kid` against: cached, refreshed when stale or when the kid is new. */
async function keysFor(google: GoogleConfig, kid: string | undefined, now: number, timeoutMs: number): Promise<JSONWebKeySet> {
  const cached = keyCache.get(google.jwksUri);
  const stale = !cached || now - cached.fetchedAt >= JWKS_MAX_AGE_MS;
  const unknownKid = cached && !hasKey(cached.jwks, kid) && now - cached.fetchedAt >= JWKS_REFETCH_COOLDOWN_MS;
  if (!stale && !unknownKid) return cached!.jwks;
  const jwks = await fetchKeys(google.jwksUri, timeoutMs);
  keyCache.set(google.jwksUri, { jwks, fetchedAt: now });
  return jwks;
}

/** Every way a token can be refused, in a few words for the security log. */
function refusal(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim}: ${error.reason}`;
  if (error instanceof errors.JWKSNoMatchingKey) return "unknown key";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad signature";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (error instanceof errors.JOSEError) return error.code;
  throw error;
}

/** Checks an ID token as described above; never throws for a bad token or an unreachable Google. */
export async function verifyGoogleIdToken(
  { google, now, timeoutMs = GOOGLE_TIMEOUT_MS }: { google: GoogleConfig; now: () => Date; timeoutMs?: number },
  token: string,
  { nonce }: { nonce: string },
): Promise<IdTokenResult> {
  const invalid = (why: string) => ({ ok: false as const, reason: "invalid-token" as const, why });
  if (token.length > 8192 || token.split(".").length !== 3) return invalid("malformed");
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    // Google signs with RS256 only; "none", HMAC (with the public key as secret) and the rest never get further.
    if (header.alg !== "RS256") return invalid("algorithm not allowed");
    kid = header.kid;
  } catch {
    return invalid("malformed");
  }
  const at = now();
  let jwks: JSONWebKeySet;
  try {
    jwks = await keysFor(google, kid, at.getTime(), timeoutMs);
  } catch (error) {
    if (error instanceof GoogleUnavailableError) return { ok: false, reason: "unavailable", why: error.why };
    throw error;
  }

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: ["RS256"],
      issuer: google.issuers,
      audience: google.clientId,
      currentDate: at,
      clockTolerance: CLOCK_SKEW_SECONDS,
      maxTokenAge: MAX_TOKEN_AGE_SECONDS,
      requiredClaims: ["sub", "iat", "exp", "nonce"],
    }));
  } catch (error) {
    return invalid(refusal(error));
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) return invalid("unexpected claims");
  const { sub, email, email_verified, name, picture, hd, azp } = claims.data;
  // A token minted for several audiences must have been handed to us (OIDC Core 3.1.3.7).
  if (Array.isArray(payload.aud) && payload.aud.length !== 1) return invalid("claim aud: several audiences");
  if (azp !== undefined && azp !== google.clientId) return invalid("claim azp: another client");
  if (claims.data.nonce !== nonce) return invalid("claim nonce: mismatch");
  return {
    ok: true,
    claims: {
      sub,
      email: email ?? null,
      emailVerified: email_verified === true,
      name: name || null,
      picture: isHttpUrl(picture) ? picture : null,
      hostedDomain: hd || null,
    },
  };
}

function isHttpUrl(value: string | undefined): value is string {
  if (!value) return false;
  try {
    return ["https:", "http:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
