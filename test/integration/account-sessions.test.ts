import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { count, get, letTimePass } from "../helpers/app";
import { Browser, CHROME_WINDOWS, FIREFOX_LINUX, SAFARI_IPHONE } from "../helpers/browser";

const EMAIL = "ada@example.com";

async function sessionIdFor(userAgent: string): Promise<string> {
  const row = await env.DB.prepare("SELECT id FROM sessions WHERE user_agent = ?").bind(userAgent).first<{ id: string }>();
  return row!.id;
}

/** Three browsers signed in to one account: Firefox in Berlin, Safari in Paris, Chrome in Tokyo. */
async function threeBrowsers() {
  const firefox = new Browser(FIREFOX_LINUX, { ip: "203.0.113.10", country: "DE", city: "Berlin" });
  const safari = new Browser(SAFARI_IPHONE, { ip: "198.51.100.4", country: "FR", city: "Paris" });
  const chrome = new Browser(CHROME_WINDOWS, { ip: "192.0.2.77", country: "JP", city: "Tokyo" });
  for (const browser of [firefox, safari, chrome]) expect((await browser.signInWithEmail(EMAIL)).status).toBe(303);
  return { firefox, safari, chrome };
}

describe("/account", () => {
  it("sends a signed-out visitor to sign in and back", async () => {
    const response = await get("/account");
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?redirectTo=%2Faccount");
  });

  it("lists every session with browser, OS, place and sign-in method, this device first and marked", async () => {
    const { firefox } = await threeBrowsers();
    const html = await (await firefox.get("/account")).text();
    const sessions = [...html.matchAll(/<li class="session" data-testid="session">(.*?)<\/li>/g)].map((m) => m[1]!);
    expect(sessions).toHaveLength(3);
    expect(sessions[0]).toContain("Firefox on Linux");
    expect(sessions[0]).toContain("This device");
    expect(sessions[0]).toContain("Berlin, Germany");
    expect(sessions[0]).not.toContain("Sign out</button>");
    const safari = sessions.find((s) => s.includes("Safari on iOS"));
    expect(safari).toContain("Paris, France · 198.51.100.4");
    expect(safari).toContain("with an email link");
    expect(safari).toContain(">Sign out</button>");
    expect(safari).not.toContain("This device");
    expect(sessions.some((s) => s.includes("Chrome on Windows") && s.includes("Tokyo, Japan"))).toBe(true);
    expect(html).toContain("Sign out everywhere else");
  });

  it("signs one session out: that browser is signed out on its next request, the others stay", async () => {
    const { firefox, safari, chrome } = await threeBrowsers();
    const response = await firefox.post("/account", { intent: "revoke-session", sessionId: await sessionIdFor(SAFARI_IPHONE) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("That session was signed out.");
    expect((await safari.get("/dashboard")).status).toBe(303);
    expect((await chrome.get("/dashboard")).status).toBe(200);
    expect((await firefox.get("/dashboard")).status).toBe(200);
    const event = await env.DB.prepare("SELECT type FROM auth_events WHERE type = 'session_revoked'").first();
    expect(event).not.toBeNull();
  });

  it("won't sign out another account's session, or this one through the revoke button", async () => {
    const { firefox } = await threeBrowsers();
    const mallory = new Browser(CHROME_WINDOWS, { ip: "192.0.2.200", country: "US", city: "Denver" });
    await mallory.signInWithEmail("mallory@example.com");
    const theirs = await env.DB.prepare(
      "SELECT sessions.id FROM sessions JOIN users ON users.id = sessions.user_id WHERE users.email = 'mallory@example.com'",
    ).first<{ id: string }>();

    const foreign = await firefox.post("/account", { intent: "revoke-session", sessionId: theirs!.id });
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).toContain("That session had already ended.");
    expect((await mallory.get("/dashboard")).status).toBe(200);

    const own = await firefox.post("/account", { intent: "revoke-session", sessionId: await sessionIdFor(FIREFOX_LINUX) });
    expect(own.status).toBe(400);
    expect((await firefox.get("/dashboard")).status).toBe(200);
  });

  it("signs out everywhere else, keeping only this session", async () => {
    const { firefox, safari, chrome } = await threeBrowsers();
    const response = await firefox.post("/account", { intent: "revoke-others" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Signed out 2 other sessions.");
    expect((await safari.get("/dashboard")).status).toBe(303);
    expect((await chrome.get("/dashboard")).status).toBe(303);
    expect((await firefox.get("/dashboard")).status).toBe(200);
    expect(await count("sessions")).toBe(1);

    const html = await (await firefox.get("/account")).text();
    expect(html).toContain("Signed out 2 other sessions from Firefox on Linux, Germany");
    expect(html).toContain("You&#x27;re not signed in anywhere else.");
  });

  it("refuses an unknown action with a 400 and a message", async () => {
    const { firefox } = await threeBrowsers();
    const response = await firefox.post("/account", { intent: "make-me-admin" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("That action isn&#x27;t available here.");
  });

  it("shows recent activity in words, newest first, for this account only", async () => {
    const { firefox } = await threeBrowsers();
    await new Browser(SAFARI_IPHONE, { ip: "192.0.2.9", country: "IT", city: "Rome" }).signInWithEmail("bob@example.com");
    const html = await (await firefox.get("/account")).text();
    const entries = [...html.matchAll(/<li><span>(.*?)<\/span><span class="muted small"><time dateTime="[^"]+Z"/gi)].map((m) => m[1]!);
    expect(entries[0]).toBe("Emailed you about a sign-in from a new device (Chrome on Windows, Japan)");
    expect(entries[1]).toBe("Signed in with an email link from Chrome on Windows, Japan");
    expect(entries).toContain("Signed in with an email link from Firefox on Linux, Germany");
    expect(entries.some((e) => e.includes("Italy"))).toBe(false);
  });

  it("shows wrong codes typed for the account's address, as one line with a count", async () => {
    const owner = new Browser();
    expect((await owner.signInWithEmail(EMAIL)).status).toBe(303);
    const stranger = new Browser(CHROME_WINDOWS, { ip: "192.0.2.77", country: "JP", city: "Tokyo" });
    await letTimePass(31);
    expect((await stranger.post("/login", { email: EMAIL })).status).toBe(303);
    for (const code of ["000001", "000002", "000003"]) {
      expect((await stranger.post("/auth/code", { email: EMAIL, code })).status).toBe(400);
    }
    const page = await (await owner.get("/account")).text();
    expect(page).toContain("3 wrong sign-in codes were entered for your address from Chrome on Windows, Japan");
    const attributed = await env.DB.prepare("SELECT count(*) AS n FROM auth_events WHERE type = 'code_failed' AND user_id IS NOT NULL").first("n");
    expect(attributed).toBe(3);
  });

  it("keeps the activity list to the last 50 entries", async () => {
    const { firefox } = await threeBrowsers();
    const user = await env.DB.prepare("SELECT id FROM users").first<{ id: string }>();
    const insert = env.DB.prepare(
      "INSERT INTO auth_events (type, user_id, user_agent, country, created_at) VALUES ('sign_out', ?1, ?2, 'DE', ?3)",
    );
    await env.DB.batch(Array.from({ length: 60 }, (_, i) => insert.bind(user!.id, FIREFOX_LINUX, Date.now() - 60_000 + i)));
    const html = await (await firefox.get("/account")).text();
    expect([...html.matchAll(/<li><span>/g)]).toHaveLength(50);
  });
});
