import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { count, get, lastMailTo, letTimePass, mailsTo } from "../helpers/app";
import { Browser, CHROME_WINDOWS, FIREFOX_LINUX, SAFARI_IPHONE } from "../helpers/browser";
import { db, testConfig } from "../helpers/deps";
import { loadAccountOverview } from "~/auth/account/overview.server";

const EMAIL = "ada@example.com";
const OTHER_EMAIL = "grace@example.com";
const SESSION_COOKIE = "__Host-latchkey_session";
const ELEVEN_MINUTES = 11 * 60 * 1000;
const STEP_UP = "/account/confirm?next=%2Faccount%2Fdelete";

const BERLIN = { ip: "203.0.113.10", country: "DE", city: "Berlin" };
const PARIS = { ip: "198.51.100.4", country: "FR", city: "Paris" };
const TOKYO = { ip: "192.0.2.77", country: "JP", city: "Tokyo" };

async function signedIn(email = EMAIL, browser = new Browser(FIREFOX_LINUX, BERLIN)): Promise<Browser> {
  const response = await browser.signInWithEmail(email);
  expect(response.status).toBe(303);
  expect(response.headers.get("Location")).not.toBe("/auth/2fa");
  return browser;
}

async function userIdOf(email: string): Promise<string> {
  const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first<{ id: string }>();
  if (!row) throw new Error(`no user ${email}`);
  return row.id;
}

/** As if every session signed in 11 minutes ago: past the 10-minute window for sensitive changes. */
async function ageSessions() {
  await env.DB.prepare("UPDATE sessions SET created_at = created_at - ?1, authenticated_at = authenticated_at - ?1")
    .bind(ELEVEN_MINUTES)
    .run();
}

/**
 * Gives an account the rows a well-used account has beyond sessions and devices: a linked GitHub
 * identity, 2FA with recovery codes, a sign-in waiting for its second step, and a code cool-down.
 * Inserted directly (after signing in, so the sign-ins above didn't need a second factor).
 */
async function addAccountExtras(email: string, tag: string) {
  const userId = await userIdOf(email);
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO identities (id, user_id, provider, provider_user_id, login, email, created_at, updated_at)
       VALUES (?1, ?2, 'github', ?3, ?4, ?5, ?6, ?6)`,
    ).bind(`idn_${tag}`, userId, `gh-${tag}`, tag, email, now),
    env.DB.prepare(
      `INSERT INTO totp_credentials (user_id, encrypted_secret, created_at, enabled_at, last_used_step) VALUES (?1, 'v1.AAAA', ?2, ?2, 0)`,
    ).bind(userId, now),
    ...[1, 2, 3].map((n) =>
      env.DB.prepare(`INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?1, ?2, ?3)`).bind(userId, `${tag}-hash-${n}`, now),
    ),
    env.DB.prepare(
      `INSERT INTO pending_sign_ins (id, user_id, method, created_at, expires_at) VALUES (?1, ?2, 'link', ?3, ?3 + 600000)`,
    ).bind(`pending_${tag}`, userId, now),
    env.DB.prepare(`INSERT INTO code_lockouts (email, failures, window_started_at, locked_until) VALUES (?1, 3, ?2, NULL)`).bind(email, now),
  ]);
  return userId;
}

const USER_TABLES = ["users", "sessions", "pending_sign_ins", "identities", "totp_credentials", "recovery_codes", "known_devices"] as const;

/** How many rows each table holds for this account (by user id, or by email where that is the key). */
async function rowsFor(userId: string, email: string): Promise<Record<string, number>> {
  const statements = [
    ...USER_TABLES.map((table) =>
      env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${table === "users" ? "id" : "user_id"} = ?`).bind(userId),
    ),
    env.DB.prepare("SELECT count(*) AS n FROM verification_tokens WHERE email = ?").bind(email),
    env.DB.prepare("SELECT count(*) AS n FROM code_lockouts WHERE email = ?").bind(email),
    env.DB.prepare("SELECT count(*) AS n FROM auth_events WHERE user_id = ?").bind(userId),
  ];
  const results = await env.DB.batch<{ n: number }>(statements);
  const names = [...USER_TABLES, "verification_tokens", "code_lockouts", "auth_events"];
  return Object.fromEntries(names.map((name, i) => [name, results[i]!.results[0]!.n]));
}

describe("deleting an account needs a recent sign-in", () => {
  it("sends a stale session to confirm it's you on GET, and deletes nothing", async () => {
    const browser = await signedIn();
    await ageSessions();
    const response = await browser.get("/account/delete");
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe(STEP_UP);
    expect(await count("users")).toBe(1);
  });

  it("sends a stale session to confirm it's you on POST too, even with the right email, and deletes nothing", async () => {
    const browser = await signedIn();
    await ageSessions();
    const response = await browser.post("/account/delete", { email: EMAIL });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe(STEP_UP);
    expect(await count("users")).toBe(1);
    expect(await count("sessions")).toBe(1);
    expect((await mailsTo(EMAIL)).some((mail) => mail.subject === "Your Latchkey account was deleted")).toBe(false);
    expect((await browser.get("/dashboard")).status).toBe(200);
  });

  it("sends a signed-out visitor to sign in", async () => {
    const response = await get("/account/delete");
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?redirectTo=%2Faccount%2Fdelete");
  });

  it("shows the form, naming the account, to a fresh sign-in", async () => {
    const browser = await signedIn();
    const response = await browser.get("/account/delete");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`Type ${EMAIL} to confirm`);
    expect(html).toContain("Delete my account");
  });
});

describe("typing the email to confirm", () => {
  it("refuses another address with 400, the error tied to the field, and deletes nothing", async () => {
    const browser = await signedIn();
    const response = await browser.post("/account/delete", { email: OTHER_EMAIL });
    expect(response.status).toBe(400);
    const html = await response.text();
    const input = html.match(/<input[^>]*name="email"[^>]*>/)?.[0];
    expect(input).toBeDefined();
    expect(input).toContain('aria-invalid="true"');
    const describedBy = input!.match(/aria-describedby="([^"]+)"/)?.[1];
    expect(describedBy).toBeDefined();
    const error = html.match(new RegExp(`<p id="${describedBy}"[^>]*>([^<]*)</p>`))?.[1];
    expect(error).toContain("isn&#x27;t your account&#x27;s email address");
    // What was typed is kept in the field for correcting.
    expect(input).toContain(`value="${OTHER_EMAIL}"`);
    expect(await count("users")).toBe(1);
    expect((await browser.get("/dashboard")).status).toBe(200);
  });

  it("refuses an empty or missing email with 400 and deletes nothing", async () => {
    const browser = await signedIn();
    expect((await browser.post("/account/delete", { email: "" })).status).toBe(400);
    expect((await browser.post("/account/delete", {})).status).toBe(400);
    expect(await count("users")).toBe(1);
  });

  it("accepts the address typed in another case and with surrounding spaces", async () => {
    const browser = await signedIn();
    const response = await browser.post("/account/delete", { email: "  Ada@Example.COM " });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/goodbye");
    expect(await count("users")).toBe(0);
  });
});

describe("a confirmed deletion", () => {
  it("deletes every row of the account, keeps its security log without the user id, and leaves another account untouched", async () => {
    // Ada: Firefox in Berlin, then Safari in Paris (a new-device alert with its link token), a sign-in
    // email still on its way, and GitHub + 2FA + a pending second step + a code cool-down.
    const firefox = await signedIn(EMAIL, new Browser(FIREFOX_LINUX, BERLIN));
    await signedIn(EMAIL, new Browser(SAFARI_IPHONE, PARIS));
    await letTimePass(31);
    expect((await new Browser(CHROME_WINDOWS, TOKYO).post("/login", { email: EMAIL })).status).toBe(303);
    const ada = await addAccountExtras(EMAIL, "ada");
    // Grace: the same kinds of rows.
    await signedIn(OTHER_EMAIL, new Browser(CHROME_WINDOWS, TOKYO));
    await signedIn(OTHER_EMAIL, new Browser(SAFARI_IPHONE, PARIS));
    const grace = await addAccountExtras(OTHER_EMAIL, "grace");

    const adaBefore = await rowsFor(ada, EMAIL);
    // Every table really had rows for Ada, or "deleted" would prove nothing.
    for (const [table, n] of Object.entries(adaBefore)) expect(n, table).toBeGreaterThan(0);
    expect(adaBefore.verification_tokens).toBe(4); // two used links, one in flight, one "this wasn't me" link
    const graceBefore = await rowsFor(grace, OTHER_EMAIL);
    const { results: adaEvents } = await env.DB.prepare("SELECT id FROM auth_events WHERE user_id = ?").bind(ada).all<{ id: number }>();

    const response = await firefox.post("/account/delete", { email: EMAIL });
    expect(response.status).toBe(303);

    const adaAfter = await rowsFor(ada, EMAIL);
    expect(adaAfter).toEqual({
      users: 0,
      sessions: 0,
      pending_sign_ins: 0,
      identities: 0,
      totp_credentials: 0,
      recovery_codes: 0,
      known_devices: 0,
      verification_tokens: 0,
      code_lockouts: 0,
      auth_events: 0,
    });
    // The log entries stay, without the user id.
    const ids = adaEvents.map((e) => e.id);
    const kept = await env.DB.prepare(`SELECT id, user_id FROM auth_events WHERE id IN (${ids.map(() => "?").join(", ")})`)
      .bind(...ids)
      .all<{ id: number; user_id: string | null }>();
    expect(kept.results).toHaveLength(ids.length);
    expect(kept.results.every((row) => row.user_id === null)).toBe(true);
    const deletion = await env.DB.prepare("SELECT user_id, email_hash FROM auth_events WHERE type = 'account_deleted'").all<{
      user_id: string | null;
      email_hash: string | null;
    }>();
    expect(deletion.results).toHaveLength(1);
    expect(deletion.results[0]!.user_id).toBeNull();
    expect(deletion.results[0]!.email_hash).toMatch(/^[0-9a-f]{64}$/);

    expect(await rowsFor(grace, OTHER_EMAIL)).toEqual(graceBefore);
  });

  it("answers 303 to /goodbye with an expired session cookie, and the old cookie is signed out", async () => {
    const browser = await signedIn();
    const oldCookie = browser.cookieHeader;
    const response = await browser.post("/account/delete", { email: EMAIL });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/goodbye");
    const cleared = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(cleared).toBeDefined();
    expect(cleared).toMatch(/^__Host-latchkey_session=;/);
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);

    const goodbye = await browser.get("/goodbye");
    expect(goodbye.status).toBe(200);
    expect(await goodbye.text()).toContain("Your account was deleted");

    const replay = await get("/dashboard", { headers: { Cookie: oldCookie } });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("Location")).toMatch(/^\/login/);
  });

  it("signs out the account's other browsers too", async () => {
    const firefox = await signedIn(EMAIL, new Browser(FIREFOX_LINUX, BERLIN));
    const safari = await signedIn(EMAIL, new Browser(SAFARI_IPHONE, PARIS));
    expect((await firefox.post("/account/delete", { email: EMAIL })).status).toBe(303);
    expect((await safari.get("/dashboard")).status).toBe(303);
  });

  it("sends a final email saying the account was deleted", async () => {
    const browser = await signedIn();
    expect((await browser.post("/account/delete", { email: EMAIL })).status).toBe(303);
    const mail = await lastMailTo(EMAIL);
    expect(mail.subject).toBe("Your Latchkey account was deleted");
    expect(mail.text).toContain("latchkey.test");
    expect(mail.text).toContain(EMAIL);
    expect(mail.text).toContain("Device: Firefox on Linux");
  });

  it("lets the same email sign up again as a fresh account, without the old 2FA", async () => {
    const browser = await signedIn();
    const oldId = await addAccountExtras(EMAIL, "ada");
    expect((await browser.post("/account/delete", { email: EMAIL })).status).toBe(303);

    const again = await signedIn(EMAIL, new Browser(FIREFOX_LINUX, BERLIN));
    const newId = await userIdOf(EMAIL);
    expect(newId).not.toBe(oldId);
    expect((await again.get("/dashboard")).status).toBe(200);
    expect(await count("users")).toBe(1);
    expect(await count("totp_credentials")).toBe(0);
    expect(await count("identities")).toBe(0);
    // Its first device is recorded silently, like any new account's.
    expect((await mailsTo(EMAIL)).some((mail) => mail.subject === "New sign-in to your Latchkey account")).toBe(false);
    // The old account's security log isn't shown to the new one.
    const { activity } = await loadAccountOverview({ db, config: testConfig(), now: () => new Date() }, { userId: newId, currentSessionId: "" });
    expect(activity.map((item) => item.description)).toEqual(["Signed in with an email link from Firefox on Linux, Germany"]);
  });

  it("retires the old account's \"this wasn't me\" link: it can't sign out the new account", async () => {
    await signedIn(EMAIL, new Browser(FIREFOX_LINUX, BERLIN));
    const safari = await signedIn(EMAIL, new Browser(SAFARI_IPHONE, PARIS));
    const alert = (await mailsTo(EMAIL)).find((mail) => mail.subject === "New sign-in to your Latchkey account");
    const token = alert!.text.match(/\/auth\/not-me\?token=([A-Za-z0-9_-]+)/)![1]!;
    expect((await safari.post("/account/delete", { email: EMAIL })).status).toBe(303);

    const fresh = await signedIn(EMAIL, new Browser(CHROME_WINDOWS, TOKYO));
    const response = await new Browser().post("/auth/not-me", { token });
    expect(response.status).toBe(400);
    expect((await fresh.get("/dashboard")).status).toBe(200);
  });
});
