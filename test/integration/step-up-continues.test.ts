import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mailsTo } from "../helpers/app";
import { Browser } from "../helpers/browser";

const EMAIL = "grace@example.com";

/** As if the sign-in happened `minutes` ago. */
async function ageSessions(minutes: number) {
  const ms = minutes * 60_000;
  await env.DB.prepare("UPDATE sessions SET created_at = created_at - ?1, authenticated_at = authenticated_at - ?1").bind(ms).run();
}

const pendingEnrollments = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM totp_credentials WHERE enabled_at IS NULL").first<{ n: number }>())!.n;

async function emailedConfirmationCode(browser: Browser, confirmPage: string): Promise<{ code: string; page: string }> {
  const sent = await browser.post(confirmPage, { intent: "send" });
  expect(sent.status).toBe(200);
  const mail = (await mailsTo(EMAIL)).find((m) => m.subject === "Your Latchkey confirmation code")!;
  return { code: mail.text.match(/confirm a security change: (\d{6})/)![1]!, page: await sent.text() };
}

describe("confirming it's you goes on with the change that asked for it", () => {
  it("takes an older session from 'Set up' through the confirmation straight into authenticator setup", async () => {
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    await ageSessions(11);

    const asked = await browser.post("/account", { intent: "setup-2fa" });
    expect(asked.status).toBe(303);
    const confirmPage = asked.headers.get("Location")!;
    expect(confirmPage).toBe("/account/confirm?next=%2Faccount%23two-factor&then=setup-2fa");
    expect(await pendingEnrollments()).toBe(0);

    const prompt = await (await browser.get(confirmPage)).text();
    expect(prompt).toContain("To set up two-factor authentication, confirm it&#x27;s you.");
    const { code, page: afterSend } = await emailedConfirmationCode(browser, confirmPage);
    expect(afterSend).toMatch(/<input type="hidden" name="then" value="setup-2fa"\/>/);

    const confirmed = await browser.post("/account/confirm", { intent: "verify", code, next: "/account#two-factor", then: "setup-2fa" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("Location")).toBe("/account/2fa");
    expect(await pendingEnrollments()).toBe(1);
    const setup = await (await browser.get("/account/2fa")).text();
    expect(setup).toMatch(/data-testid="totp-secret">[A-Z2-7 ]+</);
  });

  it("goes back to the page it came from when the change named isn't one that can continue", async () => {
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    await ageSessions(11);
    const confirmPage = "/account/confirm?next=%2Faccount%2Fdelete&then=delete-account";
    const prompt = await (await browser.get(confirmPage)).text();
    expect(prompt).not.toContain('name="then"');
    expect(prompt).not.toContain("To delete");
    const { code } = await emailedConfirmationCode(browser, confirmPage);
    const confirmed = await browser.post("/account/confirm", { intent: "verify", code, next: "/account/delete", then: "delete-account" });
    expect(confirmed.headers.get("Location")).toBe("/account/delete?confirmed=1");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users").first("n")).toBe(1);
  });

  it("won't go on with a change for a session that hasn't confirmed, however the form is sent", async () => {
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    await ageSessions(11);
    const skipped = await browser.post("/account/confirm", { intent: "continue", next: "/account#two-factor", then: "setup-2fa" });
    expect(skipped.status).toBe(303);
    expect(skipped.headers.get("Location")).toBe("/account/confirm?next=%2Faccount%23two-factor&then=setup-2fa");
    expect(await pendingEnrollments()).toBe(0);
  });

  it("goes on once the session has confirmed some other way (a passkey), as the passkey button's follow-up post does", async () => {
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    await ageSessions(5);
    const continued = await browser.post("/account/confirm", { intent: "continue", next: "/account#two-factor", then: "setup-2fa" });
    expect(continued.status).toBe(303);
    expect(continued.headers.get("Location")).toBe("/account/2fa");
    expect(await pendingEnrollments()).toBe(1);
  });
});
