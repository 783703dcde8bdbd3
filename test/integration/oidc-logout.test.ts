import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Browser } from "../helpers/browser";
import { POST_LOGOUT_URI, refresh, registerClient, signInToApp, userinfo } from "../helpers/oidc";

function logoutPath(params: Record<string, string>) {
  return `/oauth/logout?${new URLSearchParams(params)}`;
}

describe("GET /oauth/logout (RP-initiated logout)", () => {
  it("asks a signed-in person first and signs nobody out on GET", async () => {
    const client = await registerClient({ name: "Photo Printer" });
    const { tokens, browser } = await signInToApp(client);
    const response = await browser.get(logoutPath({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: "s1" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    const html = await response.text();
    expect(html).toContain("Sign out of Latchkey?");
    expect(html).toContain("Photo Printer signed you out");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sessions").first("n")).toBe(1);
  });

  it("signs out on POST (ending the app's tokens) and sends the browser to the registered URI with state", async () => {
    const client = await registerClient();
    const { tokens, browser } = await signInToApp(client);
    const path = logoutPath({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: "s 2" });
    const posted = await browser.post(path, {});
    expect(posted.status).toBe(303);
    expect(posted.headers.get("Location")).toBe(path);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sessions").first("n")).toBe(0);
    expect((await refresh(client, tokens.refresh_token!)).status).toBe(400);
    expect((await userinfo(tokens.access_token)).status).toBe(401);

    const back = await browser.get(path);
    expect(back.status).toBe(302);
    expect(back.headers.get("Location")).toBe(`${POST_LOGOUT_URI}?state=s+2`);
  });

  it("sends a signed-out browser straight back, identified by client_id alone", async () => {
    const client = await registerClient();
    const response = await new Browser().get(logoutPath({ client_id: client.id, post_logout_redirect_uri: POST_LOGOUT_URI }));
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(POST_LOGOUT_URI);
  });

  it("accepts an expired ID token as the hint", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    await env.DB.prepare("UPDATE sessions SET expires_at = 0").run();
    // The hint is only read for its signature, issuer and audience (the spec allows expired ones).
    const response = await new Browser().get(logoutPath({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI }));
    expect(response.status).toBe(302);
  });

  it("never redirects to an unregistered post-logout URI", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const response = await new Browser().get(logoutPath({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: "https://evil.example/" }));
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    expect(await response.text()).toContain("an address it hasn&#x27;t registered");
  });

  it("won't redirect without knowing the app, nor with a hint we didn't sign, nor when hint and client_id disagree", async () => {
    const client = await registerClient();
    const other = await registerClient();
    const { tokens } = await signInToApp(client);
    const [header, payload] = tokens.id_token!.split(".");
    const cases: Record<string, string>[] = [
      { post_logout_redirect_uri: POST_LOGOUT_URI },
      { id_token_hint: `${header}.${payload}.AAAA`, post_logout_redirect_uri: POST_LOGOUT_URI },
      { id_token_hint: tokens.id_token!, client_id: other.id, post_logout_redirect_uri: POST_LOGOUT_URI },
    ];
    for (const params of cases) {
      const response = await new Browser().get(logoutPath(params));
      expect(response.status).toBe(400);
      expect(response.headers.get("Location")).toBeNull();
    }
  });

  it("shows “you're signed out” to a signed-out browser with nowhere to go", async () => {
    const response = await new Browser().get("/oauth/logout");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("You're signed out".replace("'", "&#x27;"));
  });
});
