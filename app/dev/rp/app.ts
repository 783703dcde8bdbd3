/**
 * A small demo relying party at /dev/rp, for local runs only: "Sign in with Latchkey" runs the whole
 * OpenID Connect flow against this same Latchkey, the way another app would (public client
 * `latchkey-demo`, PKCE, state, nonce), then shows the verified ID token's claims, a live call to
 * /oauth/userinfo, and buttons to refresh the tokens and to sign out (RP-initiated logout).
 *
 * It talks to Latchkey only over HTTP (discovery-free, with the well-known paths) and verifies the ID
 * token with jose's remote JWKS, exactly as docs/oidc-provider.md's example for another Worker does. It keeps its
 * tokens in its own HttpOnly cookie: fine for a local demo, not a pattern for production (keep tokens on
 * the server). The Worker mounts it only for a loopback APP_URL and a request to a loopback host.
 */
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload } from "jose";
import { escapeHtml } from "~/lib/html";
import { renderDevPage } from "../page";

export const DEMO_RP_PATH = "/dev/rp";
export const DEMO_CLIENT_ID = "latchkey-demo";

export interface DemoRpOptions {
  /** Latchkey's public origin (APP_URL): the issuer. */
  appUrl: string;
  /** How to reach Latchkey (tests route it to the Worker); the network by default. */
  fetch?: typeof fetch;
  /** The app's stylesheet, so the demo looks like the rest of local Latchkey. */
  stylesheet?: string;
}

type DemoEnv = { Bindings: DemoRpOptions };

const FLOW_COOKIE = "latchkey_demo_rp_flow";
const SESSION_COOKIE = "latchkey_demo_rp";

interface Session {
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  claims: JWTPayload;
}

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

async function s256(verifier: string) {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

const jwksByIssuer = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** Verifies an ID token as any relying party must: signature (JWKS), issuer, audience, expiry, nonce. */
async function verifyIdToken(options: DemoRpOptions, idToken: string, nonce: string | null): Promise<JWTPayload> {
  let jwks = jwksByIssuer.get(options.appUrl);
  if (!jwks) {
    const fetcher = options.fetch ?? fetch;
    jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", options.appUrl), { [customFetch]: (url, init) => fetcher(url, init) });
    jwksByIssuer.set(options.appUrl, jwks);
  }
  const { payload } = await jwtVerify(idToken, jwks, { issuer: options.appUrl, audience: DEMO_CLIENT_ID, algorithms: ["ES256", "EdDSA"] });
  if (nonce !== null && payload.nonce !== nonce) throw new Error("the ID token's nonce isn't the one this browser sent");
  return payload;
}

async function callLatchkey(c: Context<DemoEnv>, path: string, init: RequestInit): Promise<Response> {
  return (c.env.fetch ?? fetch)(new URL(path, c.env.appUrl).href, init);
}

function tokenRequest(c: Context<DemoEnv>, form: Record<string, string>) {
  return callLatchkey(c, "/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: DEMO_CLIENT_ID, ...form }),
  });
}

/** A cookie's JSON, or null when it's missing or mangled. */
function parseJson<T>(raw: string | undefined): T | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}

function readSession(c: Context<DemoEnv>): Session | null {
  return parseJson<Session>(getCookie(c, SESSION_COOKIE));
}

function saveSession(c: Context<DemoEnv>, session: Session) {
  setCookie(c, SESSION_COOKIE, JSON.stringify(session), { path: DEMO_RP_PATH, httpOnly: true, sameSite: "Lax", maxAge: 30 * 24 * 3600 });
}

function page(c: Context<DemoEnv>, status: 200 | 400 | 502, title: string, body: string) {
  return c.html(
    renderDevPage({ title, brand: "Demo app", tagline: "a relying party on Latchkey, local only", body, stylesheet: c.env.stylesheet, wide: true }),
    status,
  );
}

const claimsTable = (testid: string, claims: Record<string, unknown>) =>
  `<dl class="details" data-testid="${testid}">${Object.entries(claims)
    .map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd><code>${escapeHtml(JSON.stringify(value))}</code></dd>`)
    .join("")}</dl>`;

function problem(c: Context<DemoEnv>, status: 400 | 502, message: string) {
  return page(
    c,
    status,
    "Sign-in failed",
    `<section class="card"><h1>Sign-in failed</h1><p role="alert">${escapeHtml(message)}</p><p><a class="button" href="${DEMO_RP_PATH}/login">Sign in with Latchkey again</a></p></section>`,
  );
}

export function demoRelyingParty() {
  const app = new Hono<DemoEnv>().basePath(DEMO_RP_PATH);
  const redirectUri = (c: Context<DemoEnv>) => new URL(`${DEMO_RP_PATH}/callback`, c.env.appUrl).href;

  app.get("/", async (c) => {
    const session = readSession(c);
    if (!session) {
      return page(
        c,
        200,
        "Signed out",
        `<section class="card"><h1>Demo app</h1>
<p class="lead">This app doesn't know who you are. It signs people in with Latchkey, over OpenID Connect.</p>
<p><a class="button" href="${DEMO_RP_PATH}/login">Sign in with Latchkey</a></p></section>`,
      );
    }
    // A live call, so revoking access on Latchkey's account page shows here at once.
    const info = await callLatchkey(c, "/oauth/userinfo", { headers: { Authorization: `Bearer ${session.accessToken}` } });
    const userinfo = info.ok
      ? claimsTable("userinfo", (await info.json()) as Record<string, unknown>)
      : `<p class="alert error" role="alert" data-testid="userinfo-error">/oauth/userinfo answered ${info.status}: ${escapeHtml(info.headers.get("WWW-Authenticate") ?? "")}</p>`;
    const email = typeof session.claims.email === "string" ? session.claims.email : String(session.claims.sub);
    return page(
      c,
      200,
      "Signed in",
      `<section class="card stack"><h1>Signed in as <span data-testid="rp-user">${escapeHtml(email)}</span></h1>
<h2>ID token (verified with the JWKS)</h2>${claimsTable("id-token-claims", session.claims as Record<string, unknown>)}
<h2>GET /oauth/userinfo</h2>${userinfo}
<div class="actions">
<form method="post" action="${DEMO_RP_PATH}/refresh"><button type="submit" class="secondary"${session.refreshToken ? "" : " disabled"}>Refresh tokens</button></form>
<form method="post" action="${DEMO_RP_PATH}/logout"><button type="submit">Sign out</button></form>
</div></section>`,
    );
  });

  app.get("/login", async (c) => {
    const flow = { state: random(), nonce: random(), verifier: random() };
    setCookie(c, FLOW_COOKIE, JSON.stringify(flow), { path: DEMO_RP_PATH, httpOnly: true, sameSite: "Lax", maxAge: 600 });
    const authorize = new URL("/oauth/authorize", c.env.appUrl);
    authorize.search = new URLSearchParams({
      response_type: "code",
      client_id: DEMO_CLIENT_ID,
      redirect_uri: redirectUri(c),
      scope: "openid email profile offline_access",
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await s256(flow.verifier),
      code_challenge_method: "S256",
    }).toString();
    return c.redirect(authorize.href, 302);
  });

  app.get("/callback", async (c) => {
    const raw = getCookie(c, FLOW_COOKIE);
    deleteCookie(c, FLOW_COOKIE, { path: DEMO_RP_PATH });
    const flow = parseJson<{ state: string; nonce: string; verifier: string }>(raw);
    const params = new URL(c.req.url).searchParams;
    if (!flow || params.get("state") !== flow.state) return problem(c, 400, "The state doesn't match this browser's sign-in. Start again.");
    if (params.get("iss") !== c.env.appUrl) return problem(c, 400, "The response didn't come from this Latchkey (iss).");
    const error = params.get("error");
    if (error) return problem(c, 400, `Latchkey answered ${error}: ${params.get("error_description") ?? ""}`);
    const response = await tokenRequest(c, {
      grant_type: "authorization_code",
      code: params.get("code") ?? "",
      redirect_uri: redirectUri(c),
      code_verifier: flow.verifier,
    });
    const tokens = (await response.json()) as Record<string, string>;
    if (!response.ok) return problem(c, 502, `The token endpoint answered ${tokens.error}: ${tokens.error_description ?? ""}`);
    let claims: JWTPayload;
    try {
      claims = await verifyIdToken(c.env, tokens.id_token!, flow.nonce);
    } catch (thrown) {
      return problem(c, 502, `The ID token didn't verify: ${(thrown as Error).message}`);
    }
    saveSession(c, { idToken: tokens.id_token!, accessToken: tokens.access_token!, refreshToken: tokens.refresh_token ?? null, claims });
    return c.redirect(DEMO_RP_PATH, 303);
  });

  app.post("/refresh", async (c) => {
    const session = readSession(c);
    if (!session?.refreshToken) return c.redirect(DEMO_RP_PATH, 303);
    const response = await tokenRequest(c, { grant_type: "refresh_token", refresh_token: session.refreshToken });
    const tokens = (await response.json()) as Record<string, string>;
    if (!response.ok) {
      deleteCookie(c, SESSION_COOKIE, { path: DEMO_RP_PATH });
      return problem(c, 400, `Refreshing failed (${tokens.error}): ${tokens.error_description ?? ""} You're signed out of the demo app.`);
    }
    const claims = await verifyIdToken(c.env, tokens.id_token!, null);
    saveSession(c, { idToken: tokens.id_token!, accessToken: tokens.access_token!, refreshToken: tokens.refresh_token ?? null, claims });
    return c.redirect(DEMO_RP_PATH, 303);
  });

  app.post("/logout", (c) => {
    const session = readSession(c);
    deleteCookie(c, SESSION_COOKIE, { path: DEMO_RP_PATH });
    const logout = new URL("/oauth/logout", c.env.appUrl);
    logout.search = new URLSearchParams({
      ...(session ? { id_token_hint: session.idToken } : { client_id: DEMO_CLIENT_ID }),
      post_logout_redirect_uri: new URL(DEMO_RP_PATH, c.env.appUrl).href,
      state: random(),
    }).toString();
    return c.redirect(logout.href, 303);
  });

  return app;
}
