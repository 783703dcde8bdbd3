/**
 * Intercepts the Worker's outbound fetch to Google (token endpoint and JWKS), records what it sent, and
 * answers as Google would: ID tokens signed in the test with jose and a test RSA key. Any other outbound
 * request fails the test.
 */
import { SignJWT, exportJWK, generateKeyPair, type JWK } from "jose";
import { vi } from "vitest";
import { hang, json, unreachable } from "./github";

export { hang, json, unreachable };

/** Google credentials for tests that need Google sign-in on (the test APP_URL is not loopback). */
export const GOOGLE_ENV = {
  GOOGLE_CLIENT_ID: "1234-latchkeytest.apps.googleusercontent.com",
  GOOGLE_CLIENT_SECRET: "test-google-client-secret",
};

export const TOKEN_URL = "https://oauth2.googleapis.com/token";
export const JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs";
export const ISSUER = "https://accounts.google.com";

export interface FakeGoogleUser {
  sub: string;
  email: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
  hd?: string;
}

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A fresh RS256 key pair, its public half as Google publishes it. */
export async function makeTestKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

let sharedKeys: Promise<{ current: TestKey; next: TestKey; stranger: TestKey }> | undefined;

/** Keys made once per test file (RSA generation is slow): Google's current one, its next one, an attacker's. */
export function testKeys() {
  sharedKeys ??= (async () => ({ current: await makeTestKey("google-key-1"), next: await makeTestKey("google-key-2"), stranger: await makeTestKey("google-key-1") }))();
  return sharedKeys;
}

/** What the ID token claims, and how it is signed; every field can be overridden to forge one. */
export interface TokenOptions {
  key?: TestKey;
  kid?: string;
  issuer?: string;
  audience?: string | string[];
  nonce?: string | null;
  issuedAt?: number;
  expiresAt?: number;
  extra?: Record<string, unknown>;
}

export async function signIdToken(user: FakeGoogleUser, options: TokenOptions = {}): Promise<string> {
  const key = options.key ?? (await testKeys()).current;
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    azp: GOOGLE_ENV.GOOGLE_CLIENT_ID,
    email: user.email,
    email_verified: user.email_verified ?? true,
    ...(user.name ? { name: user.name } : {}),
    ...(user.picture ? { picture: user.picture } : {}),
    ...(user.hd ? { hd: user.hd } : {}),
    ...(options.nonce === null ? {} : { nonce: options.nonce }),
    ...options.extra,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? key.kid, typ: "JWT" })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? GOOGLE_ENV.GOOGLE_CLIENT_ID)
    .setSubject(user.sub)
    .setIssuedAt(iat)
    .setExpirationTime(options.expiresAt ?? iat + 3600)
    .sign(key.privateKey);
}

export interface CapturedRequest {
  url: string;
  method: string;
  headers: Headers;
  body: URLSearchParams | null;
}

type Reply = (request: Request) => Response | Promise<Response>;

/**
 * Google for one test user. `nonce` is what the token endpoint puts into the ID token (the helpers set
 * it from the authorize URL, as Google would); `tokenOptions` forges the token; `keys` is the JWKS.
 */
export function interceptGoogle(user: FakeGoogleUser, { token, jwks }: { token?: Reply; jwks?: Reply } = {}) {
  const requests: CapturedRequest[] = [];
  const state = {
    nonce: "" as string,
    /** For parallel sign-ins: the nonce to mint for each code. */
    noncesByCode: new Map<string, string>(),
    tokenOptions: {} as TokenOptions,
    keys: null as JWK[] | null,
  };
  const answer = async (request: Request): Promise<Response> => {
    if (request.url === TOKEN_URL) {
      if (token) return token(request);
      return json({
        access_token: "ya29.test-access-token",
        expires_in: 3599,
        scope: "openid email profile",
        token_type: "Bearer",
        id_token: await signIdToken(user, {
          nonce: state.noncesByCode.get(new URLSearchParams(new TextDecoder().decode(await request.clone().arrayBuffer())).get("code") ?? "") ?? state.nonce,
          ...state.tokenOptions,
        }),
      });
    }
    if (request.url === JWKS_URL) {
      if (jwks) return jwks(request);
      const keys = state.keys ?? [(await testKeys()).current.jwk];
      return json({ keys });
    }
    throw new Error(`unexpected outbound fetch to ${request.url}`);
  };
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const request = new Request(input as RequestInfo, init);
    const captured: CapturedRequest = { url: request.url, method: request.method, headers: request.headers, body: null };
    requests.push(captured);
    const reply = request.url === TOKEN_URL ? token : request.url === JWKS_URL ? jwks : undefined;
    if (reply === unreachable) return Promise.reject(new TypeError("Network connection lost."));
    const bodyRead = request.method === "POST" ? request.clone().arrayBuffer().then((bytes) => new TextDecoder().decode(bytes)) : Promise.resolve(null);
    return bodyRead.then((text) => {
      if (text !== null) captured.body = new URLSearchParams(text);
      return answer(request);
    });
  });
  return {
    spy,
    requests,
    state,
    tokenRequests: () => requests.filter((r) => r.url === TOKEN_URL),
    jwksRequests: () => requests.filter((r) => r.url === JWKS_URL),
  };
}

export type GoogleMock = ReturnType<typeof interceptGoogle>;
