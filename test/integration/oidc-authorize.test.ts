import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { lastMailTo, letTimePass, mailsTo, tokenIn } from "../helpers/app";
import { Browser } from "../helpers/browser";
import {
  authorizePath,
  callbackParams,
  exchangeCode,
  pkce,
  postForm,
  REDIRECT_URI,
  registerClient,
  signedInBrowser,
  type TestClient,
} from "../helpers/oidc";

const EMAIL = "ada@example.com";

async function authorizeWith(client: TestClient, params: Record<string, string | null> = {}, browser?: Browser) {
  const { verifier, challenge } = await pkce();
  const response = await (browser ?? (await signedInBrowser(EMAIL))).get(authorizePath(client, challenge, params));
  return { response, verifier };
}

/** An error page, not a redirect: the status, no Location, and the page's heading. */
async function expectErrorPage(response: Response, heading: string) {
  expect(response.status).toBe(400);
  expect(response.headers.get("Location")).toBeNull();
  expect(await response.text()).toContain(heading);
}

describe("GET /oauth/authorize: requests it must not redirect (OP-2)", () => {
  it("shows an error page for an unknown client", async () => {
    const { response } = await authorizeWith({ id: "nobody", secret: null });
    await expectErrorPage(response, "This app isn&#x27;t known here");
  });

  it("shows an error page when client_id is missing", async () => {
    const client = await registerClient();
    const { response } = await authorizeWith(client, { client_id: null });
    await expectErrorPage(response, "This sign-in link is incomplete");
  });

  it("never redirects to an unregistered redirect URI, even for an otherwise valid request", async () => {
    const client = await registerClient();
    const { response } = await authorizeWith(client, { redirect_uri: "https://evil.example/callback" });
    await expectErrorPage(response, "We can’t send you back to that address".replace("’", "&#x27;"));
  });

  it("compares redirect URIs exactly: a trailing slash or another case is a different URI", async () => {
    const client = await registerClient();
    for (const uri of [`${REDIRECT_URI}/`, REDIRECT_URI.toUpperCase(), `${REDIRECT_URI}?x=1`]) {
      const { response } = await authorizeWith(client, { redirect_uri: uri });
      expect(response.status).toBe(400);
      expect(response.headers.get("Location")).toBeNull();
    }
  });

  it("shows an error page when redirect_uri is missing", async () => {
    const client = await registerClient();
    const { response } = await authorizeWith(client, { redirect_uri: null });
    await expectErrorPage(response, "This sign-in link is incomplete");
  });

  it("shows an error page for a disabled client", async () => {
    const client = await registerClient();
    await env.DB.prepare("UPDATE oauth_clients SET disabled_at = ?1").bind(Date.now()).run();
    const { response } = await authorizeWith(client);
    await expectErrorPage(response, "This app isn&#x27;t known here");
  });
});

describe("GET /oauth/authorize: errors sent back to the app (OP-7)", () => {
  const cases: [string, string, Record<string, string | null>][] = [
    ["response_type=token", "unsupported_response_type", { response_type: "token" }],
    ["no response_type", "invalid_request", { response_type: null }],
    ["no code_challenge (PKCE is required)", "invalid_request", { code_challenge: null }],
    ["code_challenge_method=plain", "invalid_request", { code_challenge_method: "plain" }],
    ["no code_challenge_method (plain by default)", "invalid_request", { code_challenge_method: null }],
    ["a code_challenge that isn't an S256 hash", "invalid_request", { code_challenge: "too-short" }],
    ["a scope without openid", "invalid_scope", { scope: "email" }],
    ["a request object", "request_not_supported", { request: "eyJhbGciOiJub25lIn0.e30." }],
    ["a request_uri", "request_uri_not_supported", { request_uri: "https://app.example/request.jwt" }],
    ["prompt=none with another prompt", "invalid_request", { prompt: "none login" }],
    ["an unknown prompt", "invalid_request", { prompt: "sideways" }],
    ["a max_age that isn't a number", "invalid_request", { max_age: "soon" }],
    ["response_mode=form_post", "invalid_request", { response_mode: "form_post" }],
  ];
  it.each(cases)("answers %s with error=%s, state unchanged and iss", async (_name, error, params) => {
    const client = await registerClient();
    const { response } = await authorizeWith(client, { state: "st &=+/ate", ...params });
    const callback = callbackParams(response);
    expect(callback.get("error")).toBe(error);
    expect(callback.get("error_description")).toBeTruthy();
    expect(callback.get("state")).toBe("st &=+/ate");
    expect(callback.get("iss")).toBe("https://latchkey.test");
    expect(callback.get("code")).toBeNull();
  });

  it("refuses a parameter sent twice", async () => {
    const client = await registerClient();
    const { challenge } = await pkce();
    const browser = await signedInBrowser(EMAIL);
    const response = await browser.get(`${authorizePath(client, challenge)}&scope=openid`);
    expect(callbackParams(response).get("error")).toBe("invalid_request");
  });
});

describe("GET /oauth/authorize: signing in first", () => {
  it("sends a signed-out person to sign in (with the app's login_hint), then back to finish", async () => {
    const client = await registerClient();
    const { verifier, challenge } = await pkce();
    const browser = new Browser();
    const first = await browser.get(authorizePath(client, challenge, { login_hint: EMAIL }));
    expect(first.status).toBe(303);
    const login = new URL(first.headers.get("Location")!, "https://latchkey.test");
    expect(login.pathname).toBe("/login");
    expect(login.searchParams.get("email")).toBe(EMAIL);
    const resume = login.searchParams.get("redirectTo")!;
    expect(resume).toMatch(/^\/oauth\/authorize\?resume=[A-Za-z0-9_-]{22}$/);
    expect(await (await browser.get(login.pathname + login.search)).text()).toContain(`value="${EMAIL}"`);

    await letTimePass(31);
    await browser.post("/login", { email: EMAIL, redirectTo: resume });
    const signedIn = await browser.post("/auth/verify", { token: tokenIn(await lastMailTo(EMAIL)) });
    expect(signedIn.headers.get("Location")).toBe(resume);
    const callback = callbackParams(await browser.get(resume));
    expect(callback.get("state")).toBe("state-123");
    expect((await exchangeCode(client, { code: callback.get("code")!, verifier })).status).toBe(200);
    // The stored request is spent: its resume URL can't mint a second code.
    await expectErrorPage(await browser.get(resume), "This sign-in took too long");
  });

  it("answers prompt=none with login_required when nobody is signed in", async () => {
    const client = await registerClient();
    const { challenge } = await pkce();
    const response = await new Browser().get(authorizePath(client, challenge, { prompt: "none" }));
    expect(callbackParams(response).get("error")).toBe("login_required");
  });

  it("skips everything for a signed-in person and a first-party app", async () => {
    const client = await registerClient({ firstParty: true });
    const { response } = await authorizeWith(client);
    expect(callbackParams(response).get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("stores only the code's SHA-256, and the code lives 60 seconds (TOK-2, OP-3)", async () => {
    const client = await registerClient();
    const before = Date.now();
    const { response } = await authorizeWith(client);
    const code = callbackParams(response).get("code")!;
    const row = await env.DB.prepare("SELECT * FROM oauth_authorization_codes").first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(code);
    expect(Number(row!.expires_at) - Number(row!.created_at)).toBe(60_000);
    expect(Number(row!.created_at)).toBeGreaterThanOrEqual(before);
  });
});

describe("GET /oauth/authorize: a fresh sign-in (prompt=login, max_age)", () => {
  async function stepUpWithEmailCode(browser: Browser, location: string) {
    expect(location).toMatch(/^\/account\/confirm\?next=%2Foauth%2Fauthorize%3Fresume%3D/);
    const next = new URL(location, "https://latchkey.test").searchParams.get("next")!;
    await browser.post(location, { intent: "send" });
    const code = (await mailsTo(EMAIL)).find((m) => m.subject === "Your Latchkey confirmation code")!.text.match(/security change: (\d{6})/)![1]!;
    const confirmed = await browser.post(location, { code, next });
    expect(confirmed.status).toBe(303);
    return confirmed.headers.get("Location")!;
  }

  it("asks a signed-in person to confirm it's them for prompt=login, then issues a code with the new auth_time", async () => {
    const client = await registerClient();
    const browser = await signedInBrowser(EMAIL);
    await env.DB.prepare("UPDATE sessions SET authenticated_at = authenticated_at - 3600000").run();
    const { response, verifier } = await authorizeWith(client, { prompt: "login" }, browser);
    expect(response.status).toBe(303);
    const back = await stepUpWithEmailCode(browser, response.headers.get("Location")!);
    expect(back).toMatch(/^\/oauth\/authorize\?resume=.+&confirmed=1$/);
    const callback = callbackParams(await browser.get(back));
    const tokens = (await (await exchangeCode(client, { code: callback.get("code")!, verifier })).json()) as { id_token: string };
    expect(Date.now() / 1000 - (decodeJwt(tokens.id_token).auth_time as number)).toBeLessThan(60);
  });

  it("asks again when the last sign-in is older than max_age, and not when it's younger", async () => {
    const client = await registerClient();
    const browser = await signedInBrowser(EMAIL);
    expect(callbackParams((await authorizeWith(client, { max_age: "600" }, browser)).response).get("code")).toBeTruthy();
    await env.DB.prepare("UPDATE sessions SET authenticated_at = authenticated_at - 601000").run();
    const { response } = await authorizeWith(client, { max_age: "600" }, browser);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toMatch(/^\/account\/confirm\?/);
  });

  it("answers prompt=none with login_required when max_age has passed", async () => {
    const client = await registerClient();
    const browser = await signedInBrowser(EMAIL);
    await env.DB.prepare("UPDATE sessions SET authenticated_at = authenticated_at - 601000").run();
    const { response } = await authorizeWith(client, { max_age: "600", prompt: "none" }, browser);
    expect(callbackParams(response).get("error")).toBe("login_required");
  });
});

describe("GET /oauth/authorize: consent for third-party apps", () => {
  async function consentPage(client: TestClient, browser: Browser, params: Record<string, string | null> = {}) {
    const { response, verifier } = await authorizeWith(client, params, browser);
    expect(response.status).toBe(303);
    const location = response.headers.get("Location")!;
    expect(location).toMatch(/^\/oauth\/consent\?resume=/);
    return { location, verifier, resume: new URL(location, "https://latchkey.test").searchParams.get("resume")! };
  }

  it("asks a third-party app's user first, and issues the code once they allow it", async () => {
    const client = await registerClient({ firstParty: false, name: "Photo Printer" });
    const browser = await signedInBrowser(EMAIL);
    const { location, resume, verifier } = await consentPage(client, browser);
    const page = await (await browser.get(location)).text();
    expect(page).toContain("Allow Photo Printer to use your account?");
    expect(page).toContain("See your email address");
    const allowed = await browser.post("/oauth/consent", { resume, decision: "allow" });
    expect(allowed.status).toBe(303);
    const callback = callbackParams(await browser.get(allowed.headers.get("Location")!));
    expect((await exchangeCode(client, { code: callback.get("code")!, verifier })).status).toBe(200);
  });

  it("remembers consent per app and scopes: the same or fewer scopes skip the page, a new scope asks again", async () => {
    const client = await registerClient({ firstParty: false });
    const browser = await signedInBrowser(EMAIL);
    const { resume } = await consentPage(client, browser, { scope: "openid email" });
    await browser.post("/oauth/consent", { resume, decision: "allow" });
    expect(callbackParams((await authorizeWith(client, { scope: "openid email" }, browser)).response).get("code")).toBeTruthy();
    expect(callbackParams((await authorizeWith(client, { scope: "openid" }, browser)).response).get("code")).toBeTruthy();
    const again = await consentPage(client, browser, { scope: "openid email offline_access" });
    expect(await (await browser.get(again.location)).text()).toContain("New");
  });

  it("sends access_denied back when the person cancels", async () => {
    const client = await registerClient({ firstParty: false });
    const browser = await signedInBrowser(EMAIL);
    const { resume } = await consentPage(client, browser);
    const denied = await browser.post("/oauth/consent", { resume, decision: "deny" });
    const callback = callbackParams(await browser.get(denied.headers.get("Location")!));
    expect(callback.get("error")).toBe("access_denied");
    expect(callback.get("state")).toBe("state-123");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM oauth_consents").first("n")).toBe(0);
  });

  it("answers prompt=none with consent_required when the app hasn't been allowed", async () => {
    const client = await registerClient({ firstParty: false });
    const { response } = await authorizeWith(client, { prompt: "none" });
    expect(callbackParams(response).get("error")).toBe("consent_required");
  });

  it("asks even a first-party app's user when the app says prompt=consent, once", async () => {
    const client = await registerClient({ firstParty: true });
    const browser = await signedInBrowser(EMAIL);
    const { resume } = await consentPage(client, browser, { prompt: "consent" });
    const allowed = await browser.post("/oauth/consent", { resume, decision: "allow" });
    expect(callbackParams(await browser.get(allowed.headers.get("Location")!)).get("code")).toBeTruthy();
  });

  it("won't let someone else's consent stand in: a request approved by one person asks the next", async () => {
    const client = await registerClient({ firstParty: false });
    const ada = await signedInBrowser(EMAIL);
    const { resume } = await consentPage(client, ada);
    await ada.post("/oauth/consent", { resume, decision: "allow" });
    const grace = await signedInBrowser("grace@example.com");
    const response = await grace.get(`/oauth/authorize?resume=${resume}`);
    expect(response.headers.get("Location")).toBe(`/oauth/consent?resume=${resume}`);
  });
});

describe("GET /oauth/authorize: how the browser gets back to the app", () => {
  it("redirects a navigation that came from the app (302, no Referer)", async () => {
    const client = await registerClient();
    const browser = await signedInBrowser(EMAIL);
    const { challenge } = await pkce();
    const response = await browser.fetch(authorizePath(client, challenge), { headers: { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate" } });
    expect(response.status).toBe(302);
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
  });

  it("ends a chain that started on one of our forms with a page that moves on by itself (CSP form-action)", async () => {
    const client = await registerClient({ name: "Photo Printer" });
    const browser = await signedInBrowser(EMAIL);
    const { challenge } = await pkce();
    const response = await browser.fetch(authorizePath(client, challenge), { headers: { "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate" } });
    expect(response.status).toBe(200);
    const html = await response.text();
    const refresh = html.match(/<meta http-equiv="refresh" content="0;url=([^"]+)"/)![1]!.replaceAll("&amp;", "&");
    expect(new URL(refresh).origin + new URL(refresh).pathname).toBe(REDIRECT_URI);
    expect(new URL(refresh).searchParams.get("code")).toBeTruthy();
    expect(html).toContain("Returning you to Photo Printer…");
  });

  it("accepts the request as a POST from the app's page and continues it as a GET", async () => {
    const client = await registerClient();
    const { challenge } = await pkce();
    const query = new URL(authorizePath(client, challenge), "https://latchkey.test").searchParams;
    const response = await postForm("/oauth/authorize", Object.fromEntries(query), { headers: { Origin: "https://app.example" } });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe(`/oauth/authorize?${query}`);
  });
});
