import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "~/dev/worker";
import { demoRelyingParty } from "~/dev/rp/app";
import { fetchWithEnv, ORIGIN } from "../helpers/app";
import { registerClient, signedInBrowser } from "../helpers/oidc";

/** The demo app reaches Latchkey through the Worker's fetch instead of the network. */
async function toWorker(input: RequestInfo | URL, init?: RequestInit) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(input, init), env as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** The demo app as a browser sees it: its own cookie jar, requests to /dev/rp answered by the sub-app. */
function demoApp() {
  const rp = demoRelyingParty();
  const cookies = new Map<string, string>();
  return async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set("Cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await rp.fetch(new Request(new URL(path, ORIGIN), { ...init, headers, redirect: "manual" }), {
      appUrl: ORIGIN,
      fetch: toWorker as typeof fetch,
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";");
      const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
      if (attributes.some((a) => /max-age=0/i.test(a)) || value === "") cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  };
}

describe("the demo relying party at /dev/rp", () => {
  it("signs in through Latchkey, shows the verified claims and userinfo, refreshes, and signs out with RP-initiated logout", async () => {
    await registerClient({
      id: "latchkey-demo",
      secret: null,
      redirectUris: [`${ORIGIN}/dev/rp/callback`],
      postLogoutUris: [`${ORIGIN}/dev/rp`],
    });
    const app = demoApp();
    const browser = await signedInBrowser("ada@example.com");

    const start = await app("/dev/rp/login");
    const authorize = new URL(start.headers.get("Location")!);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    const back = await browser.get(authorize.pathname + authorize.search);
    const callback = new URL(back.headers.get("Location")!);
    expect(callback.pathname).toBe("/dev/rp/callback");
    expect((await app(callback.pathname + callback.search)).status).toBe(303);

    const home = await (await app("/dev/rp")).text();
    expect(home).toContain('Signed in as <span data-testid="rp-user">ada@example.com</span>');
    expect(home).toContain('data-testid="id-token-claims"');
    expect(home).toContain('data-testid="userinfo"');
    expect(home).toContain("<dt>email_verified</dt><dd><code>true</code></dd>");

    expect((await app("/dev/rp/refresh", { method: "POST" })).status).toBe(303);
    expect(await (await app("/dev/rp")).text()).toContain('data-testid="userinfo"');

    const logout = await app("/dev/rp/logout", { method: "POST" });
    const to = new URL(logout.headers.get("Location")!);
    expect(to.pathname).toBe("/oauth/logout");
    expect(to.searchParams.get("post_logout_redirect_uri")).toBe(`${ORIGIN}/dev/rp`);
    expect((await browser.get(to.pathname + to.search)).status).toBe(200);
    expect(await (await app("/dev/rp")).text()).toContain("Sign in with Latchkey");
  });

  it("exists only for a loopback APP_URL and a request to a loopback host", async () => {
    const local = { APP_URL: "http://localhost:8787" };
    expect((await fetchWithEnv(new Request("http://localhost:8787/dev/rp"), local)).status).toBe(200);
    expect((await fetchWithEnv(new Request("http://latchkey.example/dev/rp"), local)).status).toBe(404);
    expect((await fetchWithEnv(new Request(`${ORIGIN}/dev/rp`), {})).status).toBe(404);
  });
});
