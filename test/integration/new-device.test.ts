import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { codeIn, count, lastMailTo, letTimePass, mailsTo, post, tokenIn, type StoredMail } from "../helpers/app";
import { Browser, CHROME_WINDOWS, enrollAuthenticator, FIREFOX_LINUX, SAFARI_IPHONE } from "../helpers/browser";
import { db } from "../helpers/deps";
import { issueNoticeLinkToken } from "~/auth/email/verification-tokens.server";

const EMAIL = "ada@example.com";
const OTHER_EMAIL = "grace@example.com";
const ALERT_SUBJECT = "New sign-in to your Latchkey account";
const DEVICE_COOKIE = "__Host-latchkey_device";
const SESSION_COOKIE = "__Host-latchkey_session";

const BERLIN = { ip: "203.0.113.10", country: "DE", city: "Berlin" };
const PARIS = { ip: "198.51.100.4", country: "FR", city: "Paris" };
const TOKYO = { ip: "192.0.2.77", country: "JP", city: "Tokyo" };

async function alertsTo(email: string): Promise<StoredMail[]> {
  return (await mailsTo(email)).filter((mail) => mail.subject === ALERT_SUBJECT);
}

function notMeLink(mail: StoredMail): URL {
  const match = mail.text.match(/https?:\/\/\S+\/auth\/not-me\?token=[A-Za-z0-9_-]+/);
  if (!match) throw new Error(`no "this wasn't me" link in: ${mail.text}`);
  return new URL(match[0]);
}

async function signIn(browser: Browser, email = EMAIL) {
  const response = await browser.signInWithEmail(email);
  expect(response.status).toBe(303);
  expect(response.headers.get("Location")).not.toBe("/auth/2fa");
}

/** Signs out (the device cookie stays, as it would in a real browser) and signs in again. */
async function signOutAndIn(browser: Browser, email = EMAIL) {
  expect((await browser.post("/logout", {})).status).toBe(303);
  expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  expect(browser.cookies.has(DEVICE_COOKIE)).toBe(true);
  await signIn(browser, email);
}

/** Ada's usual Firefox in Berlin (her first device), then a Safari in Paris that triggers one alert. */
async function knownAndNewBrowser() {
  const firefox = new Browser(FIREFOX_LINUX, BERLIN);
  const safari = new Browser(SAFARI_IPHONE, PARIS);
  await signIn(firefox);
  await signIn(safari);
  const [alert, ...more] = await alertsTo(EMAIL);
  expect(alert, "the new browser triggered an alert").toBeDefined();
  expect(more).toHaveLength(0);
  return { firefox, safari, alert: alert!, link: notMeLink(alert!) };
}

const liveSessionsOf = (email: string) =>
  env.DB.prepare("SELECT count(*) AS n FROM sessions JOIN users ON users.id = sessions.user_id WHERE users.email = ?")
    .bind(email)
    .first<{ n: number }>()
    .then((row) => row!.n);

describe("new-device alerts", () => {
  it("records the first device of a new account silently, and gives the browser a device cookie", async () => {
    const firefox = new Browser(FIREFOX_LINUX, BERLIN);
    await signIn(firefox);
    expect(await alertsTo(EMAIL)).toHaveLength(0);
    expect(await count("known_devices")).toBe(1);
    expect(firefox.cookies.has(DEVICE_COOKIE)).toBe(true);
    const event = await env.DB.prepare("SELECT count(*) AS n FROM auth_events WHERE type = 'new_device'").first<{ n: number }>();
    expect(event!.n).toBe(0);
  });

  it("sets the device cookie with the __Host- attributes and a 400-day lifetime (SES-1)", async () => {
    const response = await new Browser(FIREFOX_LINUX, BERLIN).signInWithEmail(EMAIL);
    const device = response.headers.getSetCookie().find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
    expect(device).toBeDefined();
    expect(device).toMatch(/; Max-Age=34560000/);
    expect(device).toMatch(/; Path=\//);
    expect(device).toMatch(/; HttpOnly/);
    expect(device).toMatch(/; Secure/);
    expect(device).toMatch(/; SameSite=Lax/);
    expect(device).not.toMatch(/Domain=/i);
    // The cookie is an opaque signed id: only its hash is stored.
    const stored = await env.DB.prepare("SELECT device_hash FROM known_devices").first<{ device_hash: string }>();
    expect(stored!.device_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(device).not.toContain(stored!.device_hash);
  });

  it("emails exactly one alert for a second browser, naming the browser, the place and the method", async () => {
    const { alert, link } = await knownAndNewBrowser();
    expect(alert.to).toBe(EMAIL);
    expect(alert.text).toContain("Device: Safari on iOS");
    expect(alert.text).toContain("Where: Paris, France (IP 198.51.100.4)");
    expect(alert.text).toContain("What: Signed in with an email link");
    expect(alert.html).toContain("Safari on iOS");
    expect(alert.html).toContain("Paris, France");
    // Built from APP_URL, never from the request.
    expect(link.origin).toBe("https://latchkey.test");
    expect(link.pathname).toBe("/auth/not-me");
    expect(link.searchParams.get("token")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(alert.html).toContain(link.href);
    const events = await env.DB.prepare("SELECT detail, user_agent, country FROM auth_events WHERE type = 'new_device'").all();
    expect(events.results).toEqual([{ detail: "link", user_agent: SAFARI_IPHONE, country: "FR" }]);
    // The link token is stored hashed only.
    const stored = JSON.stringify((await env.DB.prepare("SELECT * FROM verification_tokens").all()).results);
    expect(stored).not.toContain(link.searchParams.get("token")!);
  });

  it("sends no further alert when either known browser signs in again", async () => {
    const { firefox, safari } = await knownAndNewBrowser();
    await signOutAndIn(firefox);
    await signOutAndIn(safari);
    expect(await alertsTo(EMAIL)).toHaveLength(1);
    expect(await count("known_devices")).toBe(2);
  });

  it("treats a browser without the device cookie as new, even with a known browser and country (both are forgeable)", async () => {
    const { safari } = await knownAndNewBrowser();
    safari.cookies.clear();
    await signIn(safari);
    // Same user agent and country, as an intruder copying them would send.
    const sameSafariElsewhereInFrance = new Browser(SAFARI_IPHONE, { ip: "198.51.100.99", country: "FR", city: "Lyon" });
    await signIn(sameSafariElsewhereInFrance);
    expect(await alertsTo(EMAIL)).toHaveLength(3);
    // Each got a fresh device cookie, recorded as another device of the account.
    expect(safari.cookies.has(DEVICE_COOKIE)).toBe(true);
    expect(await count("known_devices")).toBe(4);
  });

  it("alerts for a known browser type signing in from another country", async () => {
    const firefox = new Browser(FIREFOX_LINUX, BERLIN);
    await signIn(firefox);
    await signIn(new Browser(FIREFOX_LINUX, TOKYO));
    const alerts = await alertsTo(EMAIL);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toContain("Where: Tokyo, Japan");
  });

  it("a device known to one account is still new to another account", async () => {
    const shared = new Browser(CHROME_WINDOWS, TOKYO);
    await signIn(new Browser(FIREFOX_LINUX, BERLIN), OTHER_EMAIL);
    await signIn(shared, EMAIL);
    await signOutAndIn(shared, OTHER_EMAIL);
    expect(await alertsTo(EMAIL)).toHaveLength(0);
    const alerts = await alertsTo(OTHER_EMAIL);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toContain("Device: Chrome on Windows");
  });
});

describe("the alert's \"This wasn't me\" link", () => {
  it("GET shows a confirm page and changes nothing", async () => {
    const { firefox, safari, link } = await knownAndNewBrowser();
    // Opened by a mail scanner, or by a browser that isn't signed in.
    const response = await new Browser(CHROME_WINDOWS, TOKYO).get(link.pathname + link.search);
    expect(response.status).toBe(200);
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    const html = await response.text();
    expect(html).toContain("Sign out everywhere?");
    expect(html).toContain("a…@example.com");
    expect(html).not.toContain(EMAIL);
    expect(await liveSessionsOf(EMAIL)).toBe(2);
    const token = await env.DB.prepare("SELECT consumed_at FROM verification_tokens WHERE purpose = 'sign-out-everywhere'").first<{
      consumed_at: number | null;
    }>();
    expect(token!.consumed_at).toBeNull();
    expect((await safari.get("/dashboard")).status).toBe(200);
    expect((await firefox.get("/dashboard")).status).toBe(200);
  });

  it("POST signs out every session of the account, leaves other accounts alone, and clears the posting browser's cookie", async () => {
    const { firefox, safari, link } = await knownAndNewBrowser();
    const grace = new Browser(CHROME_WINDOWS, TOKYO);
    await signIn(grace, OTHER_EMAIL);
    const firefoxCookieBefore = firefox.cookieHeader;

    const response = await firefox.post("/auth/not-me", { token: link.searchParams.get("token")! });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Signed out everywhere");
    expect(html).toContain("2 sessions were");
    const cleared = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    expect(firefox.cookies.has(SESSION_COOKIE)).toBe(false);

    expect(await liveSessionsOf(EMAIL)).toBe(0);
    expect(await liveSessionsOf(OTHER_EMAIL)).toBe(1);
    expect((await safari.get("/dashboard")).status).toBe(303);
    expect((await grace.get("/dashboard")).status).toBe(200);
    // The old cookie, replayed, is signed out too.
    const replay = await new Browser().fetch("/dashboard", { headers: { Cookie: firefoxCookieBefore } });
    expect(replay.status).toBe(303);
  });

  it("POST removes an authenticator and recovery codes added since the disowned sign-in, and says what it undid", async () => {
    const { safari, link } = await knownAndNewBrowser();
    // Whoever signed in with the Safari sets up an authenticator, which would lock the owner out.
    await enrollAuthenticator(safari);
    expect(await count("totp_credentials")).toBe(1);

    const owner = new Browser(FIREFOX_LINUX, BERLIN);
    const response = await owner.post("/auth/not-me", { token: link.searchParams.get("token")! });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("the authenticator app that was set up since then");
    expect(page).toContain("10 recovery codes made since then");
    expect(await count("totp_credentials")).toBe(0);
    expect(await count("recovery_codes")).toBe(0);
    // The owner gets back in with the email link alone.
    const back = await owner.signInWithEmail(EMAIL);
    expect(back.headers.get("Location")).toBe("/dashboard");
  });

  it("POST keeps a second factor the owner set up before the disowned sign-in", async () => {
    const owner = new Browser(FIREFOX_LINUX, BERLIN);
    await signIn(owner);
    await enrollAuthenticator(owner);
    const { token } = await issueNoticeLinkToken(
      db,
      { email: EMAIL, purpose: "sign-out-everywhere", lifetimeMs: 60_000, eventAt: new Date(Date.now() + 1000) },
      new Date(),
    );
    const response = await owner.post("/auth/not-me", { token });
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain("authenticator app that was set up");
    expect(await count("totp_credentials")).toBe(1);
    expect(await count("recovery_codes")).toBe(10);
  });

  it("POST ends a sign-in still waiting for its second factor", async () => {
    const { link } = await knownAndNewBrowser();
    await env.DB.prepare(
      `INSERT INTO pending_sign_ins (id, user_id, method, created_at, expires_at)
       SELECT 'pending-ada', id, 'link', ?1, ?1 + 600000 FROM users WHERE email = ?2`,
    )
      .bind(Date.now(), EMAIL)
      .run();
    const response = await new Browser().post("/auth/not-me", { token: link.searchParams.get("token")! });
    expect(response.status).toBe(200);
    expect(await count("pending_sign_ins")).toBe(0);
  });

  it("POST makes a sign-in email still on its way refuse to work", async () => {
    const { link } = await knownAndNewBrowser();
    // Someone requests another sign-in email for the address, but hasn't used it yet.
    const inFlight = new Browser(CHROME_WINDOWS, TOKYO);
    await letTimePass(31);
    expect((await inFlight.post("/login", { email: EMAIL })).status).toBe(303);
    const token = tokenIn(await lastMailTo(EMAIL));

    expect((await new Browser().post("/auth/not-me", { token: link.searchParams.get("token")! })).status).toBe(200);

    const redeem = await inFlight.post("/auth/verify", { token });
    expect(redeem.status).toBe(410);
    expect(inFlight.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(await liveSessionsOf(EMAIL)).toBe(0);
    const row = await env.DB.prepare("SELECT superseded_at, consumed_at FROM verification_tokens WHERE purpose = 'sign-in' ORDER BY id DESC").first<{
      superseded_at: number | null;
      consumed_at: number | null;
    }>();
    expect(row!.superseded_at).not.toBeNull();
    expect(row!.consumed_at).toBeNull();
  });

  it("POST also makes the code in a sign-in email still on its way refuse to work", async () => {
    const { link } = await knownAndNewBrowser();
    await letTimePass(31);
    expect((await post("/login", { email: EMAIL })).status).toBe(303);
    const code = codeIn(await lastMailTo(EMAIL));
    expect((await new Browser().post("/auth/not-me", { token: link.searchParams.get("token")! })).status).toBe(200);
    const response = await new Browser(CHROME_WINDOWS, TOKYO).post("/auth/code", { email: EMAIL, code });
    expect(response.status).not.toBe(303);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await liveSessionsOf(EMAIL)).toBe(0);
  });

  it("POST records a signed_out_everywhere event for the account, shown in its activity", async () => {
    const { link } = await knownAndNewBrowser();
    const stranger = new Browser(CHROME_WINDOWS, TOKYO);
    expect((await stranger.post("/auth/not-me", { token: link.searchParams.get("token")! })).status).toBe(200);
    const user = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(EMAIL).first<{ id: string }>();
    const events = await env.DB.prepare("SELECT user_id, user_agent, country FROM auth_events WHERE type = 'signed_out_everywhere'").all();
    expect(events.results).toEqual([{ user_id: user!.id, user_agent: CHROME_WINDOWS, country: "JP" }]);
  });

  it("works once: a second POST is refused with 410 and signs nobody out", async () => {
    const { link, firefox } = await knownAndNewBrowser();
    const token = link.searchParams.get("token")!;
    expect((await new Browser().post("/auth/not-me", { token })).status).toBe(200);
    await signIn(firefox);

    const again = await new Browser().post("/auth/not-me", { token });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain("This link was already used");
    expect(await liveSessionsOf(EMAIL)).toBe(1);
    expect((await firefox.get("/dashboard")).status).toBe(200);
    // And GET now shows the same refusal instead of the confirm button.
    const look = await new Browser().get(link.pathname + link.search);
    expect(look.status).toBe(410);
    expect(await look.text()).not.toContain("Sign out everywhere?");
  });

  it("expires after 7 days: GET and POST answer 410 and sign nobody out", async () => {
    const { link } = await knownAndNewBrowser();
    const day = 24 * 60 * 60 * 1000;
    await env.DB.prepare(
      "UPDATE verification_tokens SET created_at = created_at - ?1, expires_at = expires_at - ?1 WHERE purpose = 'sign-out-everywhere'",
    )
      .bind(7 * day + 1000)
      .run();
    const look = await new Browser().get(link.pathname + link.search);
    expect(look.status).toBe(410);
    expect(await look.text()).toContain("This link has expired");
    const response = await new Browser().post("/auth/not-me", { token: link.searchParams.get("token")! });
    expect(response.status).toBe(410);
    expect(await liveSessionsOf(EMAIL)).toBe(2);
  });

  it("still works on the last day of its week", async () => {
    const { link } = await knownAndNewBrowser();
    const day = 24 * 60 * 60 * 1000;
    await env.DB.prepare(
      "UPDATE verification_tokens SET created_at = created_at - ?1, expires_at = expires_at - ?1 WHERE purpose = 'sign-out-everywhere'",
    )
      .bind(6 * day)
      .run();
    const response = await new Browser().post("/auth/not-me", { token: link.searchParams.get("token")! });
    expect(response.status).toBe(200);
    expect(await liveSessionsOf(EMAIL)).toBe(0);
  });

  // The link forgets the account's devices, so whoever got in is reported again if they come back.
  it("after \"This wasn't me\", the disowned browser signing in again is reported again", async () => {
    const { firefox, safari, link } = await knownAndNewBrowser();
    expect((await firefox.post("/auth/not-me", { token: link.searchParams.get("token")! })).status).toBe(200);
    await signIn(safari);
    expect(await alertsTo(EMAIL)).toHaveLength(2);
  });

  it("leaves a browser signed in to another account signed in when it posts the link", async () => {
    const { link } = await knownAndNewBrowser();
    const bob = new Browser(CHROME_WINDOWS, BERLIN);
    await signIn(bob, "bob@example.com");
    const response = await bob.post("/auth/not-me", { token: link.searchParams.get("token")! });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().some((c) => c.startsWith(SESSION_COOKIE))).toBe(false);
    expect((await bob.get("/dashboard")).status).toBe(200);
    expect(await liveSessionsOf(EMAIL)).toBe(0);
  });

  it("refuses a malformed token with a 400 page, not a stack trace", async () => {
    const { firefox } = await knownAndNewBrowser();
    for (const response of [
      await firefox.get("/auth/not-me?token=not%20a%20token"),
      await firefox.get("/auth/not-me"),
      await firefox.post("/auth/not-me", { token: "short" }),
      await firefox.post("/auth/not-me", {}),
    ]) {
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain("This link isn't valid");
      expect(html).not.toMatch(/\n\s+at |Error:|\.ts:\d+/);
    }
    expect(await liveSessionsOf(EMAIL)).toBe(2);
  });

  it("refuses a well-formed token that was never issued, or was issued for signing in", async () => {
    await knownAndNewBrowser();
    const neverIssued = await post("/auth/not-me", { token: "A".repeat(43) });
    expect(neverIssued.status).toBe(400);
    // A sign-in link's token must not work as a sign-out link (purpose binding).
    await letTimePass(31);
    expect((await post("/login", { email: EMAIL })).status).toBe(303);
    const signInToken = tokenIn(await lastMailTo(EMAIL));
    const wrongPurpose = await post("/auth/not-me", { token: signInToken });
    expect(wrongPurpose.status).toBe(400);
    expect(await liveSessionsOf(EMAIL)).toBe(2);
  });
});
