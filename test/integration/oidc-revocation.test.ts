import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { lastMailTo } from "../helpers/app";
import { Browser, CHROME_WINDOWS } from "../helpers/browser";
import { authorizePath, pkce, refresh, registerClient, signInToApp, userinfo } from "../helpers/oidc";
import { disableClientSql } from "../../scripts/lib/client-sql.mjs";

const EMAIL = "ada@example.com";

/** Signed in to an app through `browser`: what the app holds, and checks that it still works. */
async function appSession(browser?: Browser) {
  const client = await registerClient();
  const { tokens, browser: used } = await signInToApp(client, { browser });
  return {
    client,
    tokens,
    browser: used,
    refreshWorks: async () => (await refresh(client, tokens.refresh_token!)).status === 200,
    userinfoWorks: async () => (await userinfo(tokens.access_token)).status === 200,
  };
}

describe("revocation is immediate: the app's access ends with the Latchkey session (OP-4)", () => {
  it("ends when the person signs out of Latchkey", async () => {
    const app = await appSession();
    await app.browser.post("/logout", {});
    expect(await app.userinfoWorks()).toBe(false);
    expect(await app.refreshWorks()).toBe(false);
  });

  it("ends when the session is signed out from another device on the account page", async () => {
    const app = await appSession();
    const phone = new Browser(CHROME_WINDOWS);
    await phone.signInWithEmail(EMAIL);
    const target = await env.DB.prepare("SELECT id FROM sessions ORDER BY created_at ASC LIMIT 1").first<{ id: string }>();
    await phone.post("/account", { intent: "revoke-session", sessionId: target!.id });
    expect(await app.refreshWorks()).toBe(false);
    expect(await app.userinfoWorks()).toBe(false);
  });

  it("ends on “sign out everywhere else”, while the app signed in from this device keeps working", async () => {
    const elsewhere = await appSession();
    const here = new Browser(CHROME_WINDOWS);
    await here.signInWithEmail(EMAIL);
    const local = await appSession(here);
    await here.post("/account", { intent: "revoke-others" });
    expect(await elsewhere.refreshWorks()).toBe(false);
    expect(await local.refreshWorks()).toBe(true);
  });

  it("ends on the “this wasn't me” link", async () => {
    const app = await appSession();
    // A second browser is a new device: its sign-in emails the alert with the link.
    await new Browser(CHROME_WINDOWS, { ip: "198.51.100.9", country: "FR", city: "Paris" }).signInWithEmail(EMAIL);
    const alert = await lastMailTo(EMAIL);
    const token = alert.text.match(/\/auth\/not-me\?token=([A-Za-z0-9_-]+)/)![1]!;
    expect((await new Browser().post("/auth/not-me", { token })).status).toBeLessThan(400);
    expect(await app.refreshWorks()).toBe(false);
    expect(await app.userinfoWorks()).toBe(false);
  });

  it("ends when the account is deleted", async () => {
    const app = await appSession();
    await app.browser.post("/account/delete", { email: EMAIL });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users").first("n")).toBe(0);
    expect(await app.refreshWorks()).toBe(false);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM oauth_grants").first("n")).toBe(0);
  });

  it("ends when the session expires (idle too long), before any purge", async () => {
    const app = await appSession();
    await env.DB.prepare("UPDATE sessions SET last_seen_at = last_seen_at - 8 * 86400000").run();
    expect(await app.refreshWorks()).toBe(false);
    expect(await app.userinfoWorks()).toBe(false);
  });

  it("ends for every person when the client is disabled with `npm run clients -- disable`", async () => {
    const app = await appSession();
    await env.DB.batch(disableClientSql(app.client.id, Date.now()).map((statement: string) => env.DB.prepare(statement)));
    expect(await app.refreshWorks()).toBe(false);
    expect(await app.userinfoWorks()).toBe(false);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM oauth_refresh_tokens").first("n")).toBe(0);
  });
});

describe("the account page's apps", () => {
  it("lists the apps a person signed in to, and “revoke access” ends the app's access and forgets consent", async () => {
    const client = await registerClient({ name: "Photo Printer", firstParty: false });
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    const { challenge } = await pkce();
    const consent = await browser.get(authorizePath(client, challenge));
    const resume = new URL(consent.headers.get("Location")!, "https://latchkey.test").searchParams.get("resume")!;
    await browser.post("/oauth/consent", { resume, decision: "allow" });
    const { tokens } = await signInToApp(client, { browser });

    const page = await (await browser.get("/account")).text();
    expect(page).toContain("Apps you&#x27;ve signed in to");
    expect(page).toContain("Photo Printer");
    expect(page).toContain("Can see your email address and your name and picture; stays signed in while you&#x27;re away.");

    const revoked = await browser.post("/account", { intent: "revoke-app", clientId: client.id });
    expect(await revoked.text()).toContain("That app&#x27;s access is revoked");
    expect((await refresh(client, tokens.refresh_token!)).status).toBe(400);
    expect((await userinfo(tokens.access_token)).status).toBe(401);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM oauth_consents").first("n")).toBe(0);
    const after = await (await browser.get("/account")).text();
    expect(after).not.toContain('data-testid="connected-app"');
    expect(after).toContain("Revoked Photo Printer&#x27;s access");
    const activity = await env.DB.prepare("SELECT detail FROM auth_events WHERE type = 'app_access_revoked'").first<{ detail: string }>();
    expect(activity!.detail).toBe("Photo Printer");
  });

  it("won't revoke another person's app access by naming its client", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const grace = new Browser();
    await grace.signInWithEmail("grace@example.com");
    const response = await grace.post("/account", { intent: "revoke-app", clientId: client.id });
    expect(response.status).toBe(404);
    expect((await refresh(client, tokens.refresh_token!)).status).toBe(200);
  });
});
