import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import worker from "~/dev/worker";
import { cookiesFrom, s256 } from "../helpers/github";
import { forgetGoogleKeys } from "../helpers/google";
import { pageLoaderData } from "../helpers/page-data";

const LOCAL = "http://localhost:8787";
/** A local run without Google credentials: config.google is the stand-in. */
const LOCAL_ENV = { APP_URL: LOCAL };
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

async function local(path: string, init: RequestInit = {}, overrides: Record<string, unknown> = LOCAL_ENV) {
  const target = new URL(path, LOCAL);
  const headers = new Headers(init.headers);
  headers.set("Host", target.host);
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(target, { redirect: "manual", ...init, headers }), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const postLocal = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  local(path, { method: "POST", body: new URLSearchParams(form).toString(), headers: { ...FORM, Origin: LOCAL, ...headers } });

/** The Worker's own calls to the stand-in (token, keys) go back into the Worker, as under wrangler dev. */
function routeLoopbackToWorker() {
  const urls: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    urls.push(request.url);
    if (!request.url.startsWith(`${LOCAL}/dev/google/`)) throw new Error(`unexpected outbound fetch to ${request.url}`);
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, { ...env, ...LOCAL_ENV } as Env, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  });
  return urls;
}

async function startLocal() {
  const start = await local("/auth/google");
  expect(start.status).toBe(302);
  return { authorizeUrl: new URL(start.headers.get("Location")!), cookie: cookiesFrom(start) };
}

/** The authorization page's form, submitted with the authorize request's parameters. */
function authorize(params: URLSearchParams, fields: Record<string, string>) {
  const form = Object.fromEntries(params);
  delete form.response_type;
  return postLocal("/dev/google/o/oauth2/v2/auth", { ...form, ...fields });
}

/** A code from the stand-in for a preset person, and what the token request needs with it. */
async function codeFor(preset: string) {
  const { authorizeUrl } = await startLocal();
  const approved = await authorize(authorizeUrl.searchParams, { preset, decision: "authorize" });
  const code = new URL(approved.headers.get("Location")!).searchParams.get("code")!;
  return { code, authorizeUrl };
}

const basic = (id: string, secret: string) => ({ Authorization: `Basic ${btoa(`${id}:${secret}`)}` });
const CLIENT = basic("latchkey-local.apps.googleusercontent.com", "latchkey-local-google-stand-in-secret");

beforeEach(() => forgetGoogleKeys());

describe("the local Google stand-in", () => {
  it("signs a preset person in through the real code exchange and ID token verification", async () => {
    const outbound = routeLoopbackToWorker();
    const { authorizeUrl, cookie } = await startLocal();
    expect(authorizeUrl.href.startsWith(`${LOCAL}/dev/google/o/oauth2/v2/auth?`)).toBe(true);

    const page = await local(authorizeUrl.pathname + authorizeUrl.search);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Continue as grace@navy.example");
    expect(html).toContain('name="hd"');

    const approved = await authorize(authorizeUrl.searchParams, { preset: "110000000000000000002", decision: "authorize" });
    expect(approved.status).toBe(302);
    const callback = new URL(approved.headers.get("Location")!);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${LOCAL}/auth/google/callback`);
    expect(callback.searchParams.get("state")).toBe(authorizeUrl.searchParams.get("state"));

    const signedIn = await local(callback.pathname + callback.search, { headers: { Cookie: cookie } });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("Location")).toBe("/dashboard");
    expect(outbound.sort()).toEqual([`${LOCAL}/dev/google/oauth2/v3/certs`, `${LOCAL}/dev/google/token`]);
    const identity = await env.DB.prepare("SELECT provider, provider_user_id, email, hosted_domain, avatar_url FROM identities").first();
    expect(identity).toEqual({
      provider: "google",
      provider_user_id: "110000000000000000002",
      email: "grace@navy.example",
      hosted_domain: "navy.example",
      avatar_url: `${LOCAL}/dev/google/avatars/110000000000000000002.svg`,
    });
  });

  it("signs a typed-in person in, and refuses one whose email isn't verified", async () => {
    routeLoopbackToWorker();
    const { authorizeUrl, cookie } = await startLocal();
    const fields = { decision: "authorize", sub: "4242", email: "new@corp.example", name: "New Person", picture: "", hd: "corp.example" };
    const refused = await authorize(authorizeUrl.searchParams, fields);
    const callback = new URL(refused.headers.get("Location")!);
    // email_verified unchecked (absent from the form): Google would say false.
    const response = await local(callback.pathname + callback.search, { headers: { Cookie: cookie } });
    expect(response.status).toBe(403);

    const again = await startLocal();
    const ok = await authorize(again.authorizeUrl.searchParams, { ...fields, email_verified: "on" });
    const back = new URL(ok.headers.get("Location")!);
    expect((await local(back.pathname + back.search, { headers: { Cookie: again.cookie } })).status).toBe(303);
    expect(await env.DB.prepare("SELECT hosted_domain FROM identities").first("hosted_domain")).toBe("corp.example");
  });

  it("sends Cancel back as access_denied", async () => {
    const { authorizeUrl } = await startLocal();
    const cancelled = await authorize(authorizeUrl.searchParams, { decision: "cancel" });
    const back = new URL(cancelled.headers.get("Location")!);
    expect(back.searchParams.get("error")).toBe("access_denied");
  });

  it.each([
    ["an unknown client_id", { client_id: "someone-else" }, "Unknown client_id"],
    ["another redirect_uri", { redirect_uri: "http://localhost:8787/elsewhere" }, "redirect_uri must be exactly"],
    ["no nonce", { nonce: "" }, "no nonce"],
    ["no PKCE", { code_challenge_method: "plain" }, "PKCE is required"],
    ["no openid scope", { scope: "email" }, "openid"],
  ])("refuses an authorization request with %s", async (_, change, problem) => {
    const { authorizeUrl } = await startLocal();
    for (const [k, v] of Object.entries(change)) authorizeUrl.searchParams.set(k, v);
    const response = await local(authorizeUrl.pathname + authorizeUrl.search);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(problem);
  });

  it("checks the client secret, the code (once), the redirect URI and the PKCE verifier at the token endpoint", async () => {
    const { code, authorizeUrl } = await codeFor("110000000000000000001");
    const redirect_uri = `${LOCAL}/auth/google/callback`;
    const body = { grant_type: "authorization_code", code, redirect_uri, code_verifier: "wrong-verifier-wrong-verifier-wrong-verifier" };

    const wrongSecret = await postLocal("/dev/google/token", body, basic("latchkey-local.apps.googleusercontent.com", "nope"));
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: "invalid_client" });

    const wrongVerifier = await postLocal("/dev/google/token", body, CLIENT);
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toMatchObject({ error: "invalid_grant" });
    // The code was used up by that attempt.
    const reused = await postLocal("/dev/google/token", body, CLIENT);
    expect(await reused.json()).toMatchObject({ error: "invalid_grant" });
    expect(authorizeUrl.searchParams.get("code_challenge")).not.toBe(await s256(body.code_verifier));

    const second = await codeFor("110000000000000000001");
    const wrongRedirect = await postLocal("/dev/google/token", { ...body, code: second.code, redirect_uri: `${LOCAL}/other` }, CLIENT);
    expect(await wrongRedirect.json()).toMatchObject({ error: "redirect_uri_mismatch" });
  });

  it.each([
    ["JSON", { "Content-Type": "application/json" }, '{"grant_type":"authorization_code"}'],
    ["broken multipart", { "Content-Type": "multipart/form-data; boundary=x" }, "--y\r\nnot a part"],
    ["no content type", {}, "grant_type=authorization_code"],
  ])("answers a %s body with a 4xx, never a 500", async (_, headers, body) => {
    for (const path of ["/dev/google/token", "/dev/google/gsi/credential", "/dev/google/o/oauth2/v2/auth"]) {
      const response = await local(path, { method: "POST", body, headers: { ...headers, Origin: LOCAL, ...CLIENT } });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
    }
  });

  it("publishes one RS256 signing key and keeps it", async () => {
    const first = (await (await local("/dev/google/oauth2/v3/certs")).json()) as { keys: { kid: string; alg: string; kty: string; d?: string }[] };
    expect(first.keys).toHaveLength(1);
    expect(first.keys[0]).toMatchObject({ alg: "RS256", kty: "RSA", use: "sig" });
    expect(first.keys[0]!.d).toBeUndefined();
    const again = (await (await local("/dev/google/oauth2/v3/certs")).json()) as { keys: { kid: string }[] };
    expect(again.keys[0]!.kid).toBe(first.keys[0]!.kid);
  });

  it("serves a Google Identity Services stand-in whose One Tap credential signs in through the real One Tap endpoint", async () => {
    routeLoopbackToWorker();
    const script = await local("/dev/google/gsi/client");
    expect(script.headers.get("Content-Type")).toMatch(/^text\/javascript/);
    const source = await script.text();
    expect(source).toContain("window.google.accounts.id");
    expect(source).toContain("onGoogleLibraryLoad");

    const login = await local("/login");
    const html = await login.text();
    expect(html).toContain(`src="${LOCAL}/dev/google/gsi/client"`);
    // The stand-in's script is our own origin: the CSP needs no Google origins locally.
    expect(login.headers.get("Content-Security-Policy")).not.toContain("accounts.google.com");
    const { oneTap } = (await pageLoaderData(html))["routes/login"] as { oneTap: { nonce: string } };
    const nonce = oneTap.nonce;
    const cookie = cookiesFrom(login);

    const issued = await postLocal("/dev/google/gsi/credential", { client_id: "latchkey-local.apps.googleusercontent.com", nonce, preset: "110000000000000000001" });
    expect(issued.status).toBe(200);
    const { credential } = (await issued.json()) as { credential: string };

    const csrf = "stand-in-csrf-0123456789abcdef0123456789";
    const signedIn = await postLocal("/auth/google/one-tap", { credential, g_csrf_token: csrf, redirectTo: "" }, { Cookie: `${cookie}; g_csrf_token=${csrf}` });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("Location")).toBe("/dashboard");
  });

  it("refuses a One Tap credential request from another site or for an unknown person", async () => {
    const crossSite = await local("/dev/google/gsi/credential", {
      method: "POST",
      body: "client_id=latchkey-local.apps.googleusercontent.com&nonce=n&preset=110000000000000000001",
      headers: { ...FORM, Origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const unknown = await postLocal("/dev/google/gsi/credential", { client_id: "latchkey-local.apps.googleusercontent.com", nonce: "n", preset: "1" });
    expect(unknown.status).toBe(400);
  });

  it("is not served with Google credentials, for a public APP_URL, or to a non-loopback host", async () => {
    expect((await local("/dev/google/oauth2/v3/certs", {}, { ...LOCAL_ENV, GOOGLE_CLIENT_ID: "x.apps.googleusercontent.com", GOOGLE_CLIENT_SECRET: "s" })).status).toBe(404);
    expect((await local("/dev/google/oauth2/v3/certs", {}, { APP_URL: "https://auth.example.com", EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_test" })).status).toBe(404);
    const ctx = createExecutionContext();
    const remote = await worker.fetch(new Request("http://192.0.2.1:8787/dev/google/oauth2/v3/certs"), { ...env, ...LOCAL_ENV } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(remote.status).toBe(404);
  });
});
