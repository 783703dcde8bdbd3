import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { codeIn, count, lastMailTo, letTimePass, mailsTo } from "../helpers/app";
import { expectConsoleErrors } from "../setup";
import { awayFromStepBoundary, Browser, CHROME_WINDOWS, enrollAuthenticator, SAFARI_IPHONE, totp } from "../helpers/browser";

const EMAIL = "ada@example.com";

/** Signs in, turns 2FA on through the account pages, and returns the secret and recovery codes. */
async function enroll(browser: Browser) {
  expect((await browser.signInWithEmail(EMAIL)).status).toBe(303);
  return enrollAuthenticator(browser);
}

/** A browser that got past the email step for a 2FA account and now owes the second step. */
async function pendingBrowser(userAgent = SAFARI_IPHONE) {
  const browser = new Browser(userAgent, { ip: "198.51.100.4", country: "FR", city: "Paris" });
  const response = await browser.signInWithEmail(EMAIL);
  expect(response.status).toBe(303);
  expect(response.headers.get("Location")).toBe("/auth/2fa");
  return browser;
}

/** A 6-digit code that no step in the accepted window (±1) would produce right now. */
async function wrongCodeFor(secret: string): Promise<string> {
  const valid = new Set(await Promise.all([-1, 0, 1].map((offset) => totp(secret, Date.now(), offset))));
  for (const candidate of ["000000", "111111", "222222", "333333"]) if (!valid.has(candidate)) return candidate;
  throw new Error("unreachable: four candidates, three valid codes");
}

/** The secret of the enrollment in progress, read from the setup page's text. */
async function pendingSecret(): Promise<string> {
  const { decryptTotpSecret } = await import("~/auth/two-factor/totp.server");
  const { encodeBase32UpperCaseNoPadding } = await import("@oslojs/encoding");
  const row = await env.DB.prepare("SELECT user_id, encrypted_secret FROM totp_credentials").first<{ user_id: string; encrypted_secret: string }>();
  return encodeBase32UpperCaseNoPadding(await decryptTotpSecret([(env as unknown as Env).TOTP_ENCRYPTION_KEY], row!.user_id, row!.encrypted_secret));
}

/** Lets any step count as new, so tests can use codes from the previous step. */
const forgetLastStep = () => env.DB.prepare("UPDATE totp_credentials SET last_used_step = 0").run();

describe("turning on two-factor authentication", () => {
  it("enrolls with a code computed from the shown secret, stores it encrypted, and shows 10 recovery codes once", async () => {
    const browser = new Browser();
    const { secret, recoveryCodes, html } = await enroll(browser);
    expect(html).toContain("Two-factor authentication is on");
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);

    const row = await env.DB.prepare("SELECT encrypted_secret, enabled_at FROM totp_credentials").first<{ encrypted_secret: string; enabled_at: number }>();
    expect(row!.enabled_at).toBeGreaterThan(0);
    expect(row!.encrypted_secret).toMatch(/^v1\./);
    expect(row!.encrypted_secret).not.toContain(secret.replaceAll(" ", ""));
    const stored = JSON.stringify((await env.DB.prepare("SELECT * FROM recovery_codes").all()).results);
    for (const code of recoveryCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replaceAll("-", ""));
    }
    expect(await count("recovery_codes")).toBe(10);
    const [notice] = await mailsTo(EMAIL);
    expect(notice!.subject).toBe("Two-factor authentication is on");
    expect(notice!.text).toContain("Firefox on Linux");

    // Shown once: the setup page has nothing left to show.
    const again = await (await browser.get("/account/2fa")).text();
    expect(again).toContain("No setup in progress");
    expect(again).not.toContain(recoveryCodes[0]!);
  });

  it("keeps 2FA off when the confirming code is wrong, and says so next to the field", async () => {
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    await browser.post("/account", { intent: "setup-2fa" });
    const response = await browser.post("/account/2fa", { code: await wrongCodeFor(await pendingSecret()) });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(/aria-describedby="field-code-error"/);
    expect(html).toContain("That code doesn&#x27;t match");
    const row = await env.DB.prepare("SELECT enabled_at FROM totp_credentials").first<{ enabled_at: number | null }>();
    expect(row!.enabled_at).toBeNull();
    expect(await count("recovery_codes")).toBe(0);
  });

  it("answers a malformed code with a 400 and a message, not an error", async () => {
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    await browser.post("/account", { intent: "setup-2fa" });
    const response = await browser.post("/account/2fa", { code: "12ab" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Enter the 6-digit code your authenticator app shows");
  });
});

describe("signing in with two-factor authentication", () => {
  it("makes no session after the email step: /auth/2fa asks for the code, and the right one signs in", async () => {
    const { secret } = await enroll(new Browser());
    const browser = await pendingBrowser();
    expect([...browser.cookies.keys()].some((name) => name.includes("latchkey_session"))).toBe(false);
    expect((await browser.get("/dashboard")).status).toBe(303);
    const page = await browser.get("/auth/2fa");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Enter the code from your authenticator app");

    await awayFromStepBoundary();
    const done = await browser.post("/auth/2fa", { kind: "totp", code: await totp(secret, Date.now(), 1) });
    expect(done.status).toBe(303);
    expect(done.headers.get("Location")).toBe("/dashboard");
    expect((await browser.get("/dashboard")).status).toBe(200);
    const session = await env.DB.prepare("SELECT method FROM sessions WHERE user_agent = ?").bind(SAFARI_IPHONE).first<{ method: string }>();
    expect(session!.method).toBe("link+totp");
    const event = await env.DB.prepare("SELECT detail FROM auth_events WHERE type = 'sign_in' ORDER BY id DESC").first<{ detail: string }>();
    expect(event!.detail).toBe("link+totp");
  });

  it("accepts the previous and next step, refuses two steps away, and refuses a step at or before the last one used", async () => {
    const { secret } = await enroll(new Browser());
    await forgetLastStep();
    await awayFromStepBoundary(5000);
    const now = Date.now();

    const first = await pendingBrowser();
    for (const offset of [-2, 2]) {
      const refused = await first.post("/auth/2fa", { kind: "totp", code: await totp(secret, now, offset) });
      expect(refused.status, `step ${offset}`).toBe(400);
      expect(await refused.text()).toContain("That code isn&#x27;t right");
    }
    const previous = await first.post("/auth/2fa", { kind: "totp", code: await totp(secret, now, -1) });
    expect(previous.status).toBe(303);

    const second = await pendingBrowser(CHROME_WINDOWS);
    expect((await second.post("/auth/2fa", { kind: "totp", code: await totp(secret, now, 1) })).status).toBe(303);

    // The current step is older than the last one accepted (+1): a replay, refused.
    const third = await pendingBrowser();
    const replay = await third.post("/auth/2fa", { kind: "totp", code: await totp(secret, now, 0) });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("That code was already used");
    expect(await count("sessions")).toBe(3); // the enrolling browser's and the two completed sign-ins
  });

  it("lets only one of two parallel sign-ins use the same code", async () => {
    const { secret } = await enroll(new Browser());
    const [a, b] = [await pendingBrowser(), await pendingBrowser(CHROME_WINDOWS)];
    await forgetLastStep();
    await awayFromStepBoundary();
    const code = await totp(secret);
    const responses = await Promise.all([a, b].map((browser) => browser.post("/auth/2fa", { kind: "totp", code })));
    expect(responses.map((r) => r.status).sort()).toEqual([303, 400]);
    expect(await responses.find((r) => r.status === 400)!.text()).toContain("That code was already used");
    expect(await count("sessions")).toBe(2);
  });

  it("accepts each recovery code once, emails the account, and counts what's left", async () => {
    const { recoveryCodes } = await enroll(new Browser());
    const code = recoveryCodes[3]!;
    const browser = await pendingBrowser();
    const used = await browser.post("/auth/2fa", { kind: "recovery", code: code.toUpperCase().replaceAll("-", " ") });
    expect(used.status).toBe(303);
    expect((await browser.get("/dashboard")).status).toBe(200);
    const notice = (await mailsTo(EMAIL)).find((m) => m.subject === "A recovery code was used");
    expect(notice?.text).toContain("9 unused codes are left");

    const again = await pendingBrowser(CHROME_WINDOWS);
    const refused = await again.post("/auth/2fa", { kind: "recovery", code });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("That recovery code isn&#x27;t right or was already used");
    expect((await env.DB.prepare("SELECT count(*) AS n FROM recovery_codes WHERE used_at IS NULL").first<{ n: number }>())!.n).toBe(9);
  });

  it("ends a pending sign-in after five wrong codes, even if the sixth is right", async () => {
    const { secret } = await enroll(new Browser());
    const browser = await pendingBrowser();
    await forgetLastStep();
    for (let i = 0; i < 4; i++) {
      const wrong = await browser.post("/auth/2fa", { kind: "totp", code: await wrongCodeFor(secret) });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain(`${4 - i} ${4 - i === 1 ? "try" : "tries"} left`);
    }
    const fifth = await browser.post("/auth/2fa", { kind: "totp", code: await wrongCodeFor(secret) });
    expect(fifth.status).toBe(400);
    expect(await fifth.text()).toContain("Start signing in again");
    await awayFromStepBoundary();
    const right = await browser.post("/auth/2fa", { kind: "totp", code: await totp(secret) });
    expect(right.status).toBe(400);
    expect(await count("sessions")).toBe(1);
  });

  it("pauses the account's second factor after 10 wrong codes across sign-ins, even for the right code", async () => {
    const { secret } = await enroll(new Browser());
    await forgetLastStep();
    for (const userAgent of [SAFARI_IPHONE, CHROME_WINDOWS]) {
      const browser = await pendingBrowser(userAgent);
      for (let i = 0; i < 5; i++) await browser.post("/auth/2fa", { kind: "totp", code: await wrongCodeFor(secret) });
    }
    const failures = await env.DB.prepare("SELECT failures, locked_until FROM totp_credentials").first<{ failures: number; locked_until: number }>();
    expect(failures!.failures).toBe(10);
    expect(failures!.locked_until).toBeGreaterThan(Date.now() + 59 * 60_000);

    const third = await pendingBrowser();
    await awayFromStepBoundary();
    const paused = await third.post("/auth/2fa", { kind: "totp", code: await totp(secret) });
    expect(paused.status).toBe(429);
    expect(paused.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(await paused.text()).toContain("Two-factor codes are paused for 1 hour");
    expect(await count("sessions")).toBe(1);
  });

  it("lets a recovery code in while wrong authenticator codes have paused the second factor, and doesn't count wrong ones", async () => {
    const { secret, recoveryCodes } = await enroll(new Browser());
    await forgetLastStep();
    for (const userAgent of [SAFARI_IPHONE, CHROME_WINDOWS]) {
      const browser = await pendingBrowser(userAgent);
      for (let i = 0; i < 5; i++) await browser.post("/auth/2fa", { kind: "totp", code: await wrongCodeFor(secret) });
    }
    const owner = await pendingBrowser();
    const wrongRecovery = await owner.post("/auth/2fa", { kind: "recovery", code: "aaaa-bbbb-cccc-dddd" });
    expect(wrongRecovery.status).toBe(400);
    expect((await env.DB.prepare("SELECT failures FROM totp_credentials").first<{ failures: number }>())!.failures).toBe(10);
    const inWithRecovery = await owner.post("/auth/2fa", { kind: "recovery", code: recoveryCodes[0]! });
    expect(inWithRecovery.status).toBe(303);
    expect((await owner.get("/dashboard")).status).toBe(200);
  });

  it("offers a recovery code, not an error page, when no server key opens the authenticator secret", async () => {
    expectConsoleErrors();
    const { secret, recoveryCodes } = await enroll(new Browser());
    const user = await env.DB.prepare("SELECT id FROM users").first<{ id: string }>();
    const { encryptTotpSecret } = await import("~/auth/two-factor/totp.server");
    const sealedWithLostKey = await encryptTotpSecret(["a-key-this-deployment-no-longer-has-0123456789"], user!.id, new Uint8Array(20));
    await env.DB.prepare("UPDATE totp_credentials SET encrypted_secret = ?1").bind(sealedWithLostKey).run();

    const browser = await pendingBrowser();
    await awayFromStepBoundary();
    const refused = await browser.post("/auth/2fa", { kind: "totp", code: await totp(secret) });
    expect(refused.status).toBe(409);
    const html = await refused.text();
    expect(html).toContain("Use one of your recovery codes instead.");
    expect(html).toMatch(/<details class="disclosure" open="">/);
    expect((await browser.post("/auth/2fa", { kind: "recovery", code: recoveryCodes[1]! })).status).toBe(303);
  });

  it("ends the account's other sessions when 2FA is turned on, and emails a link that undoes it", async () => {
    const other = new Browser(CHROME_WINDOWS);
    expect((await other.signInWithEmail(EMAIL)).status).toBe(303);
    const enrolling = new Browser();
    await enroll(enrolling);
    expect((await other.get("/dashboard")).status).toBe(303);
    expect((await enrolling.get("/dashboard")).status).toBe(200);

    const notice = (await mailsTo(EMAIL)).find((m) => m.subject === "Two-factor authentication is on")!;
    const link = notice.text.match(/https?:\/\/\S+\/auth\/not-me\?token=[A-Za-z0-9_-]+/)?.[0];
    expect(link, "the notice carries an 'I didn't do this' link").toBeTruthy();
    const undone = await new Browser(SAFARI_IPHONE).post("/auth/not-me", { token: new URL(link!).searchParams.get("token")! });
    expect(undone.status).toBe(200);
    expect(await undone.text()).toContain("the authenticator app that was set up since then");
    expect(await count("totp_credentials")).toBe(0);
    expect(await count("recovery_codes")).toBe(0);
    expect((await enrolling.get("/dashboard")).status).toBe(303);
    // The owner signs in again with email alone.
    const again = await new Browser().signInWithEmail(EMAIL);
    expect(again.headers.get("Location")).toBe("/dashboard");
  });

  it("checks at most five codes per pending sign-in, however many arrive at once", async () => {
    const { secret } = await enroll(new Browser());
    const browser = await pendingBrowser();
    const wrong = await wrongCodeFor(secret);
    const responses = await Promise.all(Array.from({ length: 12 }, () => browser.post("/auth/2fa", { kind: "totp", code: wrong })));
    expect(responses.every((r) => r.status === 400)).toBe(true);
    const row = await env.DB.prepare("SELECT attempts FROM pending_sign_ins").first<{ attempts: number }>();
    expect(row!.attempts).toBe(5);
    const counted = await env.DB.prepare("SELECT failures FROM totp_credentials").first<{ failures: number }>();
    expect(counted!.failures).toBe(5);
  });

  it("sends a visitor without a pending sign-in back to the start", async () => {
    const response = await new Browser().get("/auth/2fa");
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Start signing in again");
  });

  it("asks for the second step after an email code too", async () => {
    const { secret } = await enroll(new Browser());
    const browser = new Browser(CHROME_WINDOWS);
    await letTimePass(31);
    await browser.post("/login", { email: EMAIL });
    const code = codeIn(await lastMailTo(EMAIL));
    const response = await browser.post("/auth/code", { email: EMAIL, code });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/auth/2fa");
    await awayFromStepBoundary();
    const done = await browser.post("/auth/2fa", { kind: "totp", code: await totp(secret, Date.now(), 1) });
    expect(done.status).toBe(303);
    const session = await env.DB.prepare("SELECT method FROM sessions WHERE user_agent = ?").bind(CHROME_WINDOWS).first<{ method: string }>();
    expect(session!.method).toBe("code+totp");
  });
});
