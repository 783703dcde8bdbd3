import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { lastMailTo, letTimePass, mailsTo } from "../helpers/app";
import { awayFromStepBoundary, Browser, totp } from "../helpers/browser";

const EMAIL = "ada@example.com";

async function signedInWithTwoFactor() {
  const browser = new Browser();
  await browser.signInWithEmail(EMAIL);
  await browser.post("/account", { intent: "setup-2fa" });
  const page = await (await browser.get("/account/2fa")).text();
  const secret = page.match(/data-testid="totp-secret">([A-Z2-7 ]+)</)![1]!;
  await awayFromStepBoundary();
  const enrolledAt = Date.now();
  const enrolled = await browser.post("/account/2fa", { code: await totp(secret, enrolledAt) });
  expect(enrolled.status).toBe(200);
  const recoveryCodes = [...(await enrolled.text()).matchAll(/<code>([a-z0-9-]{19})<\/code>/g)].map((m) => m[1]!);
  return Object.assign(browser, { secret, enrolledAt, recoveryCodes });
}

async function signedInWithoutTwoFactor() {
  const browser = new Browser();
  await browser.signInWithEmail(EMAIL);
  return browser;
}

/** As if the sign-in happened `minutes` ago. */
async function ageSessions(minutes: number) {
  const ms = minutes * 60_000;
  await env.DB.prepare("UPDATE sessions SET created_at = created_at - ?1, authenticated_at = authenticated_at - ?1").bind(ms).run();
}

const twoFactorOn = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM totp_credentials WHERE enabled_at IS NOT NULL").first<{ n: number }>())!.n === 1;

const stepUpCode = async () =>
  (await mailsTo(EMAIL)).find((m) => m.subject === "Your Latchkey confirmation code")!.text.match(/confirm a security change: (\d{6})/)![1]!;

describe("changes that need a recent sign-in", () => {
  it("turns 2FA off straight away within ten minutes of signing in, and emails the account", async () => {
    const browser = await signedInWithTwoFactor();
    await ageSessions(9);
    const response = await browser.post("/account", { intent: "disable-2fa" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Two-factor authentication is off.");
    expect(await twoFactorOn()).toBe(false);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM recovery_codes").first("n")).toBe(0);
    expect((await lastMailTo(EMAIL)).subject).toBe("Two-factor authentication is off");
  });

  it("asks an older session with 2FA to confirm with an authenticator code first, then turns 2FA off as asked", async () => {
    const browser = await signedInWithTwoFactor();
    await ageSessions(11);
    const refused = await browser.post("/account", { intent: "disable-2fa" });
    expect(refused.status).toBe(303);
    expect(refused.headers.get("Location")).toBe("/account/confirm?next=%2Faccount%23two-factor&then=disable-2fa");
    expect(await twoFactorOn()).toBe(true);
    // The outcome in the address only words what happened: while 2FA is on, it says nothing.
    expect(await (await browser.get("/account?done=two-factor-off")).text()).not.toContain("Two-factor authentication is off.");

    const prompt = await (await browser.get(refused.headers.get("Location")!)).text();
    expect(prompt).toContain("To turn off two-factor authentication, confirm it&#x27;s you.");
    expect(prompt).toContain("Enter a code from your authenticator app instead.");
    expect(prompt).toMatch(/<input type="hidden" name="then" value="disable-2fa"\/>/);
    expect(prompt).not.toContain("Email me a code");
    // The step used to enroll is spent; the next one is still within the accepted window.
    const confirmed = await browser.post("/account/confirm", {
      intent: "verify-2fa",
      kind: "totp",
      code: await totp(browser.secret, browser.enrolledAt, 1),
      next: "/account#two-factor",
      then: "disable-2fa",
    });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("Location")).toBe("/account?done=two-factor-off#two-factor");
    expect(await twoFactorOn()).toBe(false);
    const account = await (await browser.get("/account?done=two-factor-off")).text();
    expect(account).toContain("Two-factor authentication is off.");
    const event = await env.DB.prepare("SELECT detail FROM auth_events WHERE type = 'step_up'").first<{ detail: string }>();
    expect(event!.detail).toBe("totp");
  });

  it("with 2FA on, won't send or accept an email code as confirmation, nor a replayed authenticator code", async () => {
    const browser = await signedInWithTwoFactor();
    await ageSessions(11);
    const send = await browser.post("/account/confirm", { intent: "send" });
    expect(send.status).toBe(400);
    expect(await send.text()).toContain("confirm with your authenticator app");
    expect((await mailsTo(EMAIL)).some((m) => m.subject === "Your Latchkey confirmation code")).toBe(false);
    const email = await browser.post("/account/confirm", { intent: "verify", code: "123456", next: "/account" });
    expect(email.status).toBe(400);

    const replay = await browser.post("/account/confirm", { intent: "verify-2fa", kind: "totp", code: await totp(browser.secret, browser.enrolledAt), next: "/account" });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("That code was already used");
    expect((await browser.post("/account", { intent: "disable-2fa" })).status).toBe(303);
  });

  it("accepts a recovery code as confirmation, once, and emails the account about it", async () => {
    const browser = await signedInWithTwoFactor();
    const code = browser.recoveryCodes[0]!;
    await ageSessions(11);
    const confirmed = await browser.post("/account/confirm", { intent: "verify-2fa", kind: "recovery", code, next: "/account/delete" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("Location")).toBe("/account/delete?confirmed=1");
    expect((await browser.get("/account/delete")).status).toBe(200);
    expect((await mailsTo(EMAIL)).some((m) => m.subject === "A recovery code was used")).toBe(true);

    await ageSessions(11);
    const again = await browser.post("/account/confirm", { intent: "verify-2fa", kind: "recovery", code, next: "/account/delete" });
    expect(again.status).toBe(400);
    const html = await again.text();
    expect(html).toContain("That recovery code isn&#x27;t right or was already used.");
    expect((await browser.get("/account/delete")).status).toBe(303);
  });

  it("emails a code to an older session without 2FA, then lets the change through", async () => {
    const browser = await signedInWithoutTwoFactor();
    await ageSessions(11);
    const refused = await browser.post("/account", { intent: "setup-2fa" });
    expect(refused.headers.get("Location")).toBe("/account/confirm?next=%2Faccount%23two-factor&then=setup-2fa");
    const prompt = await browser.get(refused.headers.get("Location")!);
    expect(await prompt.text()).toContain("We&#x27;ll email a code to");
    const sent = await browser.post("/account/confirm?next=%2Faccount%23two-factor", { intent: "send" });
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain("We sent a 6-digit code");
    const mail = await lastMailTo(EMAIL);
    expect(mail.subject).toBe("Your Latchkey confirmation code");
    expect(mail.text).not.toMatch(/https?:\/\/\S+token=/);
    const confirmed = await browser.post("/account/confirm", { intent: "verify", code: await stepUpCode(), next: "/account#two-factor" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("Location")).toBe("/account?confirmed=1#two-factor");
    const setup = await browser.post("/account", { intent: "setup-2fa" });
    expect(setup.headers.get("Location")).toBe("/account/2fa");
  });

  it("counts wrong confirmation codes and doesn't confirm on a wrong one", async () => {
    const browser = await signedInWithoutTwoFactor();
    await ageSessions(11);
    await browser.post("/account/confirm", { intent: "send" });
    const right = await stepUpCode();
    const wrong = right === "000000" ? "111111" : "000000";
    const response = await browser.post("/account/confirm", { intent: "verify", code: wrong, next: "/account" });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("4 tries left");
    expect(html).toMatch(/aria-describedby="field-code-error"/);
    expect((await browser.post("/account", { intent: "setup-2fa" })).status).toBe(303);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM totp_credentials").first("n")).toBe(0);
    const row = await env.DB.prepare("SELECT attempts FROM verification_tokens WHERE purpose = 'step-up'").first<{ attempts: number }>();
    expect(row!.attempts).toBe(1);
  });

  it("counts wrong confirmation codes toward the address's code cool-down, shared with sign-in codes", async () => {
    const browser = await signedInWithoutTwoFactor();
    browser.env = { LIMIT_CODE_FAILURES: "2/3600" };
    await ageSessions(11);
    await browser.post("/account/confirm", { intent: "send" });
    const wrong = (await stepUpCode()) === "000000" ? "111111" : "000000";
    expect((await browser.post("/account/confirm", { intent: "verify", code: wrong, next: "/account" })).status).toBe(400);
    const paused = await browser.post("/account/confirm", { intent: "verify", code: wrong, next: "/account" });
    expect(paused.status).toBe(429);
    expect(await paused.text()).toContain("Emailed codes are paused for 1 hour");
    // The same pause holds for the address's sign-in codes, even the right one.
    await letTimePass(31);
    const signInBrowser = new Browser();
    signInBrowser.env = { LIMIT_CODE_FAILURES: "2/3600" };
    expect((await signInBrowser.post("/login", { email: EMAIL })).status).toBe(200);
    const code = (await lastMailTo(EMAIL)).text.match(/code on the sign-in page: (\d{6})/)![1]!;
    const refused = await signInBrowser.post("/auth/code", { email: EMAIL, code });
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain("Code sign-in is paused");
  });

  it("won't accept a sign-in code, or another account's code, as confirmation", async () => {
    const browser = await signedInWithoutTwoFactor();
    await ageSessions(11);
    await browser.post("/account/confirm", { intent: "send" });
    const other = new Browser();
    await other.signInWithEmail("bob@example.com");
    await other.post("/account/confirm", { intent: "send" });
    const bobsCode = (await lastMailTo("bob@example.com")).text.match(/confirm a security change: (\d{6})/)![1]!;
    if (bobsCode !== (await stepUpCode())) {
      const response = await browser.post("/account/confirm", { intent: "verify", code: bobsCode, next: "/account" });
      expect(response.status).toBe(400);
    }
    // A sign-in email's code for the same address is for signing in, not for confirming.
    await letTimePass(31);
    expect((await new Browser().post("/login", { email: EMAIL })).status).toBe(200);
    const signInCode = (await mailsTo(EMAIL)).find((m) => m.subject.includes("sign-in link"))!.text.match(/sign-in page: (\d{6})/)![1]!;
    if (signInCode !== (await stepUpCode())) {
      expect((await browser.post("/account/confirm", { intent: "verify", code: signInCode, next: "/account" })).status).toBe(400);
    }
    expect((await browser.get("/account/delete")).status).toBe(303);
  });

  it("asks an older session to confirm before turning 2FA on, so a stolen cookie can't lock the owner out", async () => {
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    await ageSessions(11);
    const response = await browser.post("/account", { intent: "setup-2fa" });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/account/confirm?next=%2Faccount%23two-factor&then=setup-2fa");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM totp_credentials").first("n")).toBe(0);
  });

  it("puts new recovery codes and account deletion behind the same confirmation", async () => {
    const browser = await signedInWithTwoFactor();
    await ageSessions(11);
    for (const path of ["/account/recovery-codes", "/account/delete"]) {
      const response = await browser.get(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get("Location")).toBe(`/account/confirm?next=${encodeURIComponent(path)}`);
      expect((await browser.post(path, {})).status, `POST ${path}`).toBe(303);
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM recovery_codes WHERE used_at IS NULL").first("n")).toBe(10);
  });

  it("replaces every recovery code when regenerating, and emails the account", async () => {
    const browser = await signedInWithTwoFactor();
    const before = (await env.DB.prepare("SELECT code_hash FROM recovery_codes").all<{ code_hash: string }>()).results.map((r) => r.code_hash);
    const response = await browser.post("/account/recovery-codes", {});
    expect(response.status).toBe(200);
    const codes = [...(await response.text()).matchAll(/<code>([a-z0-9-]{19})<\/code>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    const after = (await env.DB.prepare("SELECT code_hash FROM recovery_codes").all<{ code_hash: string }>()).results.map((r) => r.code_hash);
    expect(after).toHaveLength(10);
    expect(after.filter((hash) => before.includes(hash))).toEqual([]);
    expect((await lastMailTo(EMAIL)).subject).toBe("New recovery codes");
  });

  it("only returns to account pages after confirming", async () => {
    const browser = await signedInWithoutTwoFactor();
    await ageSessions(11);
    await browser.post("/account/confirm", { intent: "send" });
    const response = await browser.post("/account/confirm", { intent: "verify", code: await stepUpCode(), next: "https://evil.example/account" });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/account?confirmed=1");
  });
});
