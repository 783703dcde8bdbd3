/**
 * The relying party's side of the OpenID Connect tests: registered clients, PKCE, the authorize
 * redirect as a browser follows it, and token requests as an app's server sends them.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "~/dev/worker";
import { ORIGIN } from "./app";
import { Browser } from "./browser";
import { s256 } from "./github";

export const REDIRECT_URI = "https://app.example/callback";
export const POST_LOGOUT_URI = "https://app.example/signed-out";

export interface TestClient {
  id: string;
  secret: string | null;
}

/** Registers a client directly in D1, as `npm run clients -- add` would. Confidential unless `secret: null`. */
export async function registerClient(
  options: {
    id?: string;
    name?: string;
    secret?: string | null;
    firstParty?: boolean;
    redirectUris?: string[];
    postLogoutUris?: string[];
    scopes?: string;
    audience?: string | null;
    signingAlg?: "ES256" | "EdDSA";
  } = {},
): Promise<TestClient> {
  const id = options.id ?? `client-${crypto.randomUUID().slice(0, 8)}`;
  const secret = options.secret === undefined ? `secret-${crypto.randomUUID()}` : options.secret;
  const secretHash = secret === null ? null : await sha256Hex(secret);
  await env.DB.prepare(
    `INSERT INTO oauth_clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris, first_party, scopes, audience, signing_alg, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`,
  )
    .bind(
      id,
      options.name ?? "Example App",
      secretHash,
      JSON.stringify(options.redirectUris ?? [REDIRECT_URI]),
      JSON.stringify(options.postLogoutUris ?? [POST_LOGOUT_URI]),
      options.firstParty === false ? 0 : 1,
      options.scopes ?? "openid email profile offline_access",
      options.audience ?? null,
      options.signingAlg ?? "ES256",
      Date.now(),
    )
    .run();
  return { id, secret };
}

async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return { verifier, challenge: await s256(verifier) };
}

/** /oauth/authorize?… for `client` with sensible defaults; `params` overrides (null removes one). */
export function authorizePath(client: TestClient, challenge: string, params: Record<string, string | null> = {}): string {
  const query = new URLSearchParams();
  const all: Record<string, string | null> = {
    response_type: "code",
    client_id: client.id,
    redirect_uri: REDIRECT_URI,
    scope: "openid email profile offline_access",
    state: "state-123",
    nonce: "nonce-456",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== null) query.set(name, value);
  return `/oauth/authorize?${query}`;
}

/** The query of a redirect back to the app, or throws if the response isn't one. */
export function callbackParams(response: Response): URLSearchParams {
  const location = response.headers.get("Location");
  if (response.status !== 302 || !location) throw new Error(`expected a redirect to the app, got ${response.status} ${location}`);
  const url = new URL(location);
  if (url.origin + url.pathname !== REDIRECT_URI) throw new Error(`redirected to ${location}`);
  return url.searchParams;
}

/** A browser signed in by email (the real flow). */
export async function signedInBrowser(email = "ada@example.com"): Promise<Browser> {
  const browser = new Browser();
  const response = await browser.signInWithEmail(email);
  if (response.status !== 303) throw new Error(`sign-in answered ${response.status}`);
  return browser;
}

/** Signs in (if needed), authorizes and returns the code with its verifier. */
export async function authorizationCode(
  client: TestClient,
  { browser, params = {} }: { browser?: Browser; params?: Record<string, string | null> } = {},
) {
  const signedIn = browser ?? (await signedInBrowser());
  const { verifier, challenge } = await pkce();
  const response = await signedIn.get(authorizePath(client, challenge, params));
  const callback = callbackParams(response);
  const code = callback.get("code");
  if (!code) throw new Error(`no code: ${callback}`);
  return { code, verifier, browser: signedIn };
}

/** A POST to a provider endpoint as an app's server sends it: form body, optional Basic credentials. */
export async function postForm(
  path: string,
  form: Record<string, string>,
  { basic, headers = {}, ip = "198.51.100.20" }: { basic?: TestClient; headers?: Record<string, string>; ip?: string } = {},
): Promise<Response> {
  const all = new Headers({ "Content-Type": "application/x-www-form-urlencoded", Host: new URL(ORIGIN).host, "CF-Connecting-IP": ip, ...headers });
  if (basic) all.set("Authorization", `Basic ${btoa(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret ?? "")}`)}`);
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(new URL(path, ORIGIN), { method: "POST", headers: all, body: new URLSearchParams(form) }), env as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A GET to a provider endpoint (discovery, JWKS, userinfo). */
export async function getJson(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(new URL(path, ORIGIN), { headers: { Host: new URL(ORIGIN).host, ...headers } }), env as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Redeems a code at the token endpoint the way `client` authenticates (Basic for confidential clients). */
export function exchangeCode(client: TestClient, { code, verifier, redirectUri = REDIRECT_URI }: { code: string; verifier: string; redirectUri?: string }) {
  const form: Record<string, string> = { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier };
  if (client.secret === null) form.client_id = client.id;
  return postForm("/oauth/token", form, client.secret === null ? {} : { basic: client });
}

export function refresh(client: TestClient, refreshToken: string, extra: Record<string, string> = {}) {
  const form: Record<string, string> = { grant_type: "refresh_token", refresh_token: refreshToken, ...extra };
  if (client.secret === null) form.client_id = client.id;
  return postForm("/oauth/token", form, client.secret === null ? {} : { basic: client });
}

export interface TokenSet {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** Signs in, authorizes and redeems: the tokens an app holds after "Sign in with Latchkey". */
export async function signInToApp(client: TestClient, options: { browser?: Browser; params?: Record<string, string | null> } = {}) {
  const { code, verifier, browser } = await authorizationCode(client, options);
  const response = await exchangeCode(client, { code, verifier });
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return { tokens: (await response.json()) as TokenSet, browser };
}

export function userinfo(accessToken: string) {
  return getJson("/oauth/userinfo", { Authorization: `Bearer ${accessToken}` });
}
