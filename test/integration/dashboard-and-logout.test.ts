import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { codeIn, count, get, lastMailTo, letTimePass, post, signIn } from "../helpers/app";
import { Browser } from "../helpers/browser";

describe("GET /dashboard", () => {
  it("sends a signed-out visitor to sign in and back", async () => {
    const response = await get("/dashboard");
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?redirectTo=%2Fdashboard");
  });

  it("shows the signed-in person's email, uncached", async () => {
    const cookie = await signIn("ada@example.com");
    const response = await get("/dashboard", { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.text()).toContain('<strong data-testid="user-email">ada@example.com</strong>');
  });

  it("treats a tampered cookie as signed out, not as an error", async () => {
    const cookie = await signIn("ada@example.com");
    const [name, value] = cookie.split("=") as [string, string];
    const flipped = value.slice(0, 5) + (value[5] === "A" ? "B" : "A") + value.slice(6);
    const response = await get("/dashboard", { headers: { Cookie: `${name}=${flipped}` } });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?redirectTo=%2Fdashboard");
  });

  it("treats a well-signed cookie for an unknown session as signed out", async () => {
    const cookie = await signIn("ada@example.com");
    await env.DB.prepare("DELETE FROM sessions").run();
    expect((await get("/dashboard", { headers: { Cookie: cookie } })).status).toBe(303);
  });

  it("treats an expired session as signed out and deletes it", async () => {
    const cookie = await signIn("ada@example.com");
    await env.DB.prepare("UPDATE sessions SET expires_at = ?").bind(Date.now() - 1).run();
    expect((await get("/dashboard", { headers: { Cookie: cookie } })).status).toBe(303);
    expect(await count("sessions")).toBe(0);
  });

  it("treats garbage in the cookie header as signed out", async () => {
    const response = await get("/dashboard", { headers: { Cookie: "__Host-latchkey_session=%%%; other=1" } });
    expect(response.status).toBe(303);
  });
});

describe("POST /logout", () => {
  it("deletes the session row, clears the cookie and goes to the sign-in page, which says so", async () => {
    const cookie = await signIn("ada@example.com");
    const response = await post("/logout", {}, { cookie });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?signedOut=1");
    const cleared = response.headers.get("Set-Cookie")!;
    expect(cleared).toMatch(/^__Host-latchkey_session=;/);
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expect(await count("sessions")).toBe(0);
  });

  it("says 'You're signed out on this device' on the page it goes to", async () => {
    const cookie = await signIn("ada@example.com");
    const response = await post("/logout", {}, { cookie });
    const page = await get(response.headers.get("Location")!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div class="alert success" role="status">You&#x27;re signed out on this device.</div>');
    expect(html).toContain("Sign in to Latchkey");
    expect(html).not.toMatch(/class="account-menu"/);
  });

  it("doesn't say 'signed out' on the plain sign-in page", async () => {
    expect(await (await get("/login")).text()).not.toContain("signed out");
  });

  it("revokes server-side: replaying the old cookie afterwards is signed out", async () => {
    const cookie = await signIn("ada@example.com");
    await post("/logout", {}, { cookie });
    expect((await get("/dashboard", { headers: { Cookie: cookie } })).status).toBe(303);
    const api = await get("/api/session", { headers: { Cookie: cookie } });
    expect(api.status).toBe(401);
  });

  it("only ends the session it was sent with", async () => {
    const mine = await signIn("ada@example.com");
    const other = await signIn("ada@example.com");
    await post("/logout", {}, { cookie: mine });
    expect((await get("/dashboard", { headers: { Cookie: other } })).status).toBe(200);
  });

  it("does not sign out on GET", async () => {
    const cookie = await signIn("ada@example.com");
    const response = await get("/logout", { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Sign out?");
    expect(await count("sessions")).toBe(1);
  });

  it("refuses a cross-site sign-out with 403 and keeps the session", async () => {
    const cookie = await signIn("ada@example.com");
    const response = await post("/logout", {}, { cookie, origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(await count("sessions")).toBe(1);
  });
});

describe("the header's account menu", () => {
  it("shows the signed-in address, the account pages and Sign out as a POST", async () => {
    const cookie = await signIn("ada@example.com");
    const html = await (await get("/dashboard", { headers: { Cookie: cookie } })).text();
    const menu = html.match(/<details class="account-menu">.*?<\/details>/s)?.[0];
    expect(menu, "the header has an account menu").toBeTruthy();
    expect(menu).toContain('<summary aria-label="Account menu for ada@example.com">');
    expect(menu).toContain('href="/dashboard"');
    expect(menu).toContain('href="/account"');
    expect(menu).toMatch(/<form method="post" action="\/logout"[^>]*><button type="submit" class="link-button">Sign out<\/button><\/form>/);
  });

  it("is not shown to a signed-out visitor", async () => {
    expect(await (await get("/")).text()).not.toContain("account-menu");
  });
});

describe("a protected page that sends you to sign in", () => {
  it.each([
    ["/dashboard", "Sign in to continue to your dashboard"],
    ["/account", "Sign in to continue to your account settings"],
  ])("says where signing in leads (%s)", async (path, heading) => {
    const sentAway = await get(path);
    expect(sentAway.status).toBe(303);
    const html = await (await get(sentAway.headers.get("Location")!)).text();
    expect(html).toContain(`<h1`);
    expect(html).toContain(heading);
  });
});

describe("the check-your-email page after it has done its job", () => {
  it("sends a browser that has signed in since (back after typing the code) on to where it was going", async () => {
    const browser = new Browser();
    await letTimePass(31);
    expect((await browser.post("/login", { email: "ada@example.com", redirectTo: "/account" })).headers.get("Location")).toBe("/login/sent");
    expect(browser.cookies.has("__Host-latchkey_sent")).toBe(true);
    const signedIn = await browser.post("/auth/code", { code: codeIn(await lastMailTo("ada@example.com")) });
    expect(signedIn.headers.get("Location")).toBe("/account");

    const back = await browser.get("/login/sent");
    expect(back.status).toBe(303);
    expect(back.headers.get("Location")).toBe("/account");
    expect(browser.cookies.has("__Host-latchkey_sent")).toBe(false);
  });

  it("is forgotten at sign-out, so the next visitor of this browser doesn't see it", async () => {
    const browser = new Browser();
    await letTimePass(31);
    await browser.post("/login", { email: "ada@example.com" });
    await browser.post("/auth/code", { code: codeIn(await lastMailTo("ada@example.com")) });
    expect(browser.cookies.has("__Host-latchkey_sent")).toBe(true);

    const signedOut = await browser.post("/logout", {});
    expect(signedOut.headers.get("Location")).toBe("/login?signedOut=1");
    expect(browser.cookies.has("__Host-latchkey_sent")).toBe(false);
    expect((await browser.get("/login/sent")).headers.get("Location")).toBe("/login");
  });
});
