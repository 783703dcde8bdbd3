import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "~/dev/worker";
import { count } from "../helpers/app";
import { cookiesFrom, s256 } from "../helpers/github";

const LOCAL = "http://localhost:8787";
/** A local run without GitHub credentials: config.github is the stand-in. */
const LOCAL_ENV = { APP_URL: LOCAL };

async function local(path: string, init: RequestInit = {}, overrides: Record<string, unknown> = LOCAL_ENV) {
  const target = new URL(path, LOCAL);
  const headers = new Headers(init.headers);
  headers.set("Host", target.host);
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(target, { redirect: "manual", ...init, headers }), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** The Worker's own calls to the stand-in (token, API) go back into the Worker, as under wrangler dev. */
function routeLoopbackToWorker() {
  const urls: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    urls.push(request.url);
    if (!request.url.startsWith(`${LOCAL}/dev/github/`)) throw new Error(`unexpected outbound fetch to ${request.url}`);
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, { ...env, ...LOCAL_ENV } as Env, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  });
  return urls;
}

function authorize(params: URLSearchParams, fields: Record<string, string>) {
  const form = new URLSearchParams(params);
  form.delete("response_type");
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return local("/dev/github/login/oauth/authorize", {
    method: "POST",
    body: form.toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: LOCAL },
  });
}

async function startLocal() {
  const start = await local("/auth/github");
  expect(start.status).toBe(302);
  const authorizeUrl = new URL(start.headers.get("Location")!);
  return { authorizeUrl, cookie: cookiesFrom(start) };
}

describe("the local GitHub stand-in", () => {
  it("signs a preset test user in through the real strategy, token exchange and API calls", async () => {
    const outbound = routeLoopbackToWorker();
    const { authorizeUrl, cookie } = await startLocal();
    expect(authorizeUrl.href.startsWith(`${LOCAL}/dev/github/login/oauth/authorize?`)).toBe(true);

    const page = await local(authorizeUrl.pathname + authorizeUrl.search);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Authorize as @ada");
    expect(html).toContain('name="login"');

    const approved = await authorize(authorizeUrl.searchParams, { preset: "grace", decision: "authorize" });
    expect(approved.status).toBe(302);
    const callback = new URL(approved.headers.get("Location")!);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${LOCAL}/auth/github/callback`);
    expect(callback.searchParams.get("state")).toBe(authorizeUrl.searchParams.get("state"));

    const signedIn = await local(callback.pathname + callback.search, { headers: { Cookie: cookie } });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("Location")).toBe("/dashboard");
    expect(outbound.sort()).toEqual([
      `${LOCAL}/dev/github/api/user`,
      `${LOCAL}/dev/github/api/user/emails`,
      `${LOCAL}/dev/github/login/oauth/access_token`,
    ]);
    const identity = await env.DB.prepare("SELECT login, provider_user_id, email, avatar_url FROM identities").first();
    expect(identity).toEqual({
      login: "grace",
      provider_user_id: "1002",
      email: "grace@example.com",
      avatar_url: `${LOCAL}/dev/github/avatars/grace.svg`,
    });
    // Its avatar is served locally, as an image.
    const avatar = await local("/dev/github/avatars/grace.svg");
    expect(avatar.headers.get("Content-Type")).toBe("image/svg+xml");
  });

  it("signs in a typed-in user and refuses one whose only email is unverified", async () => {
    routeLoopbackToWorker();
    const first = await startLocal();
    const typed = await authorize(first.authorizeUrl.searchParams, {
      decision: "authorize",
      login: "Typed-User",
      name: "<b>Typed</b>",
      id: "777",
      email1: "typed@example.com",
      verified1: "on",
      primary: "1",
    });
    const back = new URL(typed.headers.get("Location")!);
    expect((await local(back.pathname + back.search, { headers: { Cookie: first.cookie } })).status).toBe(303);
    expect(await env.DB.prepare("SELECT name FROM identities WHERE provider_user_id = '777'").first()).toEqual({ name: "<b>Typed</b>" });

    const second = await startLocal();
    const unverified = await authorize(second.authorizeUrl.searchParams, { preset: "unverified", decision: "authorize" });
    const again = new URL(unverified.headers.get("Location")!);
    const refused = await local(again.pathname + again.search, { headers: { Cookie: second.cookie } });
    expect(refused.status).toBe(403);
  });

  it("sends Cancel back as access_denied, which lands on /login", async () => {
    const { authorizeUrl, cookie } = await startLocal();
    const cancelled = await authorize(authorizeUrl.searchParams, { decision: "cancel" });
    const back = new URL(cancelled.headers.get("Location")!);
    expect(back.searchParams.get("error")).toBe("access_denied");
    const response = await local(back.pathname + back.search, { headers: { Cookie: cookie } });
    expect(response.headers.get("Location")).toBe("/login?github=cancelled");
  });

  it("escapes what it echoes and refuses a redirect_uri other than the registered one", async () => {
    const { authorizeUrl } = await startLocal();
    const evil = new URLSearchParams(authorizeUrl.searchParams);
    evil.set("state", '"><script>alert(1)</script>');
    const page = await (await local(`/dev/github/login/oauth/authorize?${evil}`)).text();
    expect(page).not.toContain("<script>alert(1)</script>");
    expect(page).toContain("&quot;&gt;&lt;script&gt;");

    evil.set("redirect_uri", "https://evil.example/callback");
    const refused = await local(`/dev/github/login/oauth/authorize?${evil}`);
    expect(refused.status).toBe(400);
  });

  it("checks client credentials, redirect_uri and the PKCE verifier, and honours each code once", async () => {
    const { authorizeUrl } = await startLocal();
    const token = async (code: string, fields: Record<string, string>, secret = "latchkey-local-stand-in-secret") =>
      (await local("/dev/github/login/oauth/access_token", {
        method: "POST",
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: `${LOCAL}/auth/github/callback`, ...fields }).toString(),
        headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: `Basic ${btoa(`latchkey-local:${secret}`)}`, Accept: "application/json" },
      })).json<{ error?: string; access_token?: string }>();
    const codeFor = async (challengeOf: string) => {
      const params = new URLSearchParams(authorizeUrl.searchParams);
      params.set("code_challenge", await s256(challengeOf));
      const approved = await authorize(params, { preset: "ada", decision: "authorize" });
      return new URL(approved.headers.get("Location")!).searchParams.get("code")!;
    };
    const verifier = "v".repeat(43);

    expect((await token(await codeFor(verifier), { code_verifier: verifier }, "wrong-secret")).error).toBe("incorrect_client_credentials");
    expect((await token(await codeFor(verifier), { code_verifier: "w".repeat(43) })).error).toBe("bad_verification_code");
    expect((await token(await codeFor(verifier), { code_verifier: verifier, redirect_uri: `${LOCAL}/elsewhere` })).error).toBe("redirect_uri_mismatch");

    const code = await codeFor(verifier);
    const granted = await token(code, { code_verifier: verifier });
    expect(granted.access_token).toMatch(/^gho_/);
    expect((await token(code, { code_verifier: verifier })).error).toBe("bad_verification_code");

    const user = await local("/dev/github/api/user", { headers: { Authorization: `Bearer ${granted.access_token}` } });
    expect(await user.json()).toMatchObject({ id: 1001, login: "ada" });
    expect((await local("/dev/github/api/user", { headers: { Authorization: "Bearer nope" } })).status).toBe(401);
    // Its state lives in KV under its own prefix, with an expiry.
    const keys = (await env.RATE_LIMITS.list({ prefix: "github-stand-in:" })).keys;
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => typeof k.expiration === "number")).toBe(true);
  });

  // Hono's parseBody throws on these; a malformed body is the sender's mistake, so 400, never a 5xx.
  const unreadableBodies = [
    { name: "multipart/form-data without a boundary", type: "multipart/form-data", body: "client_id=latchkey-local" },
    { name: "a form in UTF-16", type: "application/x-www-form-urlencoded; charset=utf-16", body: "client_id=latchkey-local" },
  ];

  for (const { name, type, body } of unreadableBodies) {
    it(`answers an authorize POST with ${name} with a 400 page`, async () => {
      const response = await local("/dev/github/login/oauth/authorize", {
        method: "POST",
        body,
        headers: { "Content-Type": type, Origin: LOCAL },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("Content-Type")).toMatch(/text\/html/);
      expect(await response.text()).toContain("could not be read");
    });

    it(`answers a token request with ${name} with a 400 invalid_request`, async () => {
      const response = await local("/dev/github/login/oauth/access_token", {
        method: "POST",
        body,
        headers: { "Content-Type": type, Authorization: `Basic ${btoa("latchkey-local:latchkey-local-stand-in-secret")}`, Accept: "application/json" },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_request" });
    });
  }

  it("refuses Basic credentials that aren't base64 as incorrect, not with a 500", async () => {
    for (const authorization of ["Basic a", "Basic ===="]) {
      const response = await local("/dev/github/login/oauth/access_token", {
        method: "POST",
        body: "grant_type=authorization_code&code=x",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: authorization, Accept: "application/json" },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ error: "incorrect_client_credentials" });
    }
  });

  it("is a 404 on a non-loopback host, even with a loopback APP_URL", async () => {
    const target = "https://latchkey.test/dev/github/login/oauth/authorize";
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(target, { headers: { Host: "latchkey.test" } }), { ...env, ...LOCAL_ENV } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(404);
  });

  it("is a 404 when GitHub credentials are configured", async () => {
    const response = await local("/dev/github/login/oauth/authorize", {}, { ...LOCAL_ENV, GITHUB_CLIENT_ID: "Iv1.real", GITHUB_CLIENT_SECRET: "real-secret" });
    expect(response.status).toBe(404);
    expect(await count("users")).toBe(0);
  });

  it("is a 404 in a deployment (https APP_URL, no credentials), where GitHub sign-in is off", async () => {
    const response = await local("/dev/github/login/oauth/authorize", {}, {});
    expect(response.status).toBe(404);
  });
});
