import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  codeIn,
  cookieFrom,
  count,
  fetchAndSettle,
  fetchWithEnv,
  followToSentPage,
  get,
  htmlOf,
  lastMailTo,
  letTimePass,
  mailsTo,
  ORIGIN,
  post,
  requestLink,
  sentStateIn,
  signIn,
  tokenIn,
  url,
} from "../helpers/app";
import { Browser } from "../helpers/browser";

const fromIp = (ip: string) => ({ headers: { "CF-Connecting-IP": ip } });

describe("per-email send limits (exact, in D1)", () => {
  it("answers a second request within 30 seconds with the page for the email already sent, and sends nothing", async () => {
    const first = await post("/login", { email: "ada@example.com" });
    expect(first.status).toBe(303);
    expect(sentStateIn(first).justSent).toBe(false);
    const response = await post("/login", { email: "ada@example.com" });
    // Not a refusal (issue 16): an email went out moments ago, so the person is shown the page for it.
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login/sent");
    expect(response.headers.get("Retry-After")).toBeNull();
    const state = sentStateIn(response);
    expect(state).toMatchObject({ email: "ada@example.com", justSent: true });
    const secondsLeft = (state.nextSendAt - Date.now()) / 1000;
    expect(secondsLeft).toBeGreaterThan(0);
    expect(secondsLeft).toBeLessThanOrEqual(30);
    expect(await mailsTo("ada@example.com")).toHaveLength(1);
    expect(await count("verification_tokens")).toBe(1);
  });

  it("says 'we just sent an email', when another can go, and offers the code box for the email already sent", async () => {
    await post("/login", { email: "ada@example.com" });
    const page = await followToSentPage(await post("/login", { email: "ada@example.com" }));
    expect(page.status).toBe(200);
    const html = await htmlOf(page);
    expect(html).toContain("We just sent an email to <strong class=\"nowrap\">a…@example.com</strong>.");
    expect(html).toMatch(/You can send another in ([1-9]|[12]\d|30) seconds?\./);
    expect(html).toMatch(/<input[^>]*name="code"/);
    expect(html).not.toContain("Too many");
  });

  it("lets the code from the email already sent sign in from the 'just sent' page", async () => {
    await post("/login", { email: "ada@example.com" });
    const code = codeIn(await lastMailTo("ada@example.com"));
    const again = await post("/login", { email: "ada@example.com" });
    // The page's code form carries no address: it comes from the cookie.
    const signedIn = await post("/auth/code", { code }, { cookie: cookieFrom(again) });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("Location")).toBe("/dashboard");
  });

  it("allows the next email once 30 seconds have passed", async () => {
    await post("/login", { email: "ada@example.com" });
    await letTimePass(31);
    const response = await post("/login", { email: "ada@example.com" });
    expect(response.status).toBe(303);
    expect(sentStateIn(response).justSent).toBe(false);
    expect(await mailsTo("ada@example.com")).toHaveLength(2);
  });

  it("allows 5 emails an hour, then refuses with 429 and says when the next one can go", async () => {
    for (let i = 0; i < 5; i++) {
      const response = await post("/login", { email: "ada@example.com" });
      expect(response.status).toBe(303);
      expect(sentStateIn(response).justSent).toBe(false);
      await letTimePass(60);
    }
    const response = await post("/login", { email: "ada@example.com" });
    expect(response.status).toBe(429);
    // The oldest of the five was sent 5 minutes ago, so the window frees up in about 55 minutes.
    const retryAfter = Number(response.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(54 * 60);
    expect(retryAfter).toBeLessThanOrEqual(55 * 60);
    expect(await response.text()).toContain("Please try again in 55 minutes.");
    expect(response.headers.get("Set-Cookie") ?? "").not.toContain("latchkey_sent");
    expect(await mailsTo("ada@example.com")).toHaveLength(5);
  });

  it("refuses with 429 within 30 seconds of the fifth email in the hour: the hourly limit, not 'just sent'", async () => {
    for (let i = 0; i < 4; i++) {
      await post("/login", { email: "ada@example.com" });
      await letTimePass(60);
    }
    expect((await post("/login", { email: "ada@example.com" })).status).toBe(303);
    const response = await post("/login", { email: "ada@example.com" });
    expect(response.status).toBe(429);
    expect(await response.text()).toMatch(/Too many sign-in emails were requested\. Please try again in \d+ minutes?\./);
    expect(await mailsTo("ada@example.com")).toHaveLength(5);
  });

  it("sends exactly one email for 100 parallel requests for one inbox, from 100 IPs", async () => {
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => post("/login", { email: "ada@example.com" }, fromIp(`198.51.100.${i}`))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(303));
    const justSent = responses.map((r) => sentStateIn(r).justSent);
    expect(justSent.filter((j) => !j)).toHaveLength(1);
    expect(justSent.filter((j) => j)).toHaveLength(99);
    expect(await mailsTo("ada@example.com")).toHaveLength(1);
  });

  it("limits known and unknown addresses alike", async () => {
    await signIn("known@example.com");
    await post("/login", { email: "unknown@example.com" });
    const known = await post("/login", { email: "known@example.com" });
    const unknown = await post("/login", { email: "unknown@example.com" });
    expect([known.status, unknown.status]).toEqual([303, 303]);
    expect([sentStateIn(known).justSent, sentStateIn(unknown).justSent]).toEqual([true, true]);
    expect(await mailsTo("known@example.com")).toHaveLength(1);
    expect(await mailsTo("unknown@example.com")).toHaveLength(1);
  });
});

describe("per-IP limits (coarse, in KV)", () => {
  it("stops the 21st email request from one IP within the hour, issuing no token", async () => {
    for (let i = 0; i < 20; i++) {
      expect((await post("/login", { email: `user${i}@example.com` }, fromIp("203.0.113.9"))).status).toBe(303);
    }
    const response = await post("/login", { email: "user20@example.com" }, fromIp("203.0.113.9"));
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await mailsTo("user20@example.com")).toHaveLength(0);
    expect(await count("verification_tokens")).toBe(20);
    // Another IP is unaffected.
    expect((await post("/login", { email: "user20@example.com" }, fromIp("203.0.113.10"))).status).toBe(303);
  });

  it("stops the 31st verification attempt from one IP within 10 minutes", async () => {
    for (let i = 0; i < 30; i++) {
      const response = await post("/auth/verify", { token: `${"x".repeat(40)}${i}` }, fromIp("203.0.113.9"));
      expect(response.status).toBe(400);
    }
    const limited = await post("/auth/verify", { token: "y".repeat(43) }, fromIp("203.0.113.9"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(await limited.text()).toContain("Too many sign-in attempts.");
    const code = await post("/auth/code", { email: "ada@example.com", code: "123456" }, fromIp("203.0.113.9"));
    expect(code.status).toBe(429);
  });

  it("stores only hashed IPs in KV", async () => {
    await post("/login", { email: "ada@example.com" }, fromIp("203.0.113.77"));
    // The counter is written after the response; give it a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { keys } = await env.RATE_LIMITS.list();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.name).not.toContain("203.0.113.77");
  });
});

describe("the security log", () => {
  it("records sign-in by method, a failed code, a rate limit and sign-out, with a hashed email", async () => {
    const token = await requestLink("ada@example.com");
    const signedIn = await fetchAndSettle("/auth/verify", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://latchkey.test", "CF-Connecting-IP": "203.0.113.5", "User-Agent": "TestBrowser/1" },
      body: new URLSearchParams({ token }),
    });
    expect(signedIn.status).toBe(303);
    await fetchAndSettle("/auth/code", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://latchkey.test" },
      body: new URLSearchParams({ email: "ada@example.com", code: "000000" }),
    });
    await fetchAndSettle("/logout", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://latchkey.test",
        Cookie: signedIn.headers.get("Set-Cookie")!.split(";")[0]!,
      },
      body: "",
    });
    await post("/login", { email: "bob@example.com" });
    await fetchAndSettle("/login", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://latchkey.test" },
      body: new URLSearchParams({ email: "bob@example.com" }),
    });

    const { results } = await env.DB.prepare(
      "SELECT type, detail, user_id, email_hash, ip, user_agent FROM auth_events ORDER BY id",
    ).all<{ type: string; detail: string | null; user_id: string | null; email_hash: string | null; ip: string | null; user_agent: string | null }>();
    const byType = (type: string) => results.find((e) => e.type === type);
    expect(byType("sign_in")).toMatchObject({ detail: "link", ip: "203.0.113.5", user_agent: "TestBrowser/1", user_id: expect.stringMatching(/^usr_/) });
    expect(byType("sign_out")).toMatchObject({ user_id: byType("sign_in")!.user_id });
    expect(byType("rate_limited")).toMatchObject({ detail: "email-sends" });
    expect(results.some((e) => e.type === "code_refused" || e.type === "code_failed")).toBe(true);
    for (const event of results) {
      if (event.email_hash) expect(event.email_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(JSON.stringify(results)).not.toContain("ada@example.com");
  });
});

describe("GET /login and /auth/verify stay unlimited", () => {
  it("never rate-limits simply viewing the pages", async () => {
    for (let i = 0; i < 40; i++) expect((await get("/login")).status).toBe(200);
  });
});

describe("an owner's own browser still gets a sign-in email", () => {
  /** Ada's browser after one sign-in and a sign-out: it carries her account's device cookie. */
  async function ownersBrowser() {
    const owner = new Browser();
    expect((await owner.signInWithEmail("ada@example.com")).status).toBe(303);
    expect((await owner.post("/logout", {})).status).toBe(303);
    await letTimePass(31);
    return owner;
  }

  it("gives a browser known to the account its own per-email budget: a stranger's five emails an hour don't block it", async () => {
    const owner = await ownersBrowser();
    // The owner's first sign-in came from a browser nobody knew yet: one of the five strangers' emails.
    for (let i = 0; i < 4; i++) {
      expect((await post("/login", { email: "ada@example.com" }, fromIp(`198.51.100.${i + 1}`))).status).toBe(303);
      await letTimePass(60);
    }
    expect((await post("/login", { email: "ada@example.com" }, fromIp("198.51.100.9"))).status).toBe(429);

    const mailsBefore = (await mailsTo("ada@example.com")).length;
    expect((await owner.post("/login", { email: "ada@example.com" })).status).toBe(303);
    expect(await mailsTo("ada@example.com")).toHaveLength(mailsBefore + 1);
  });

  it("never lets a stranger's request retire the link a known browser asked for", async () => {
    const owner = await ownersBrowser();
    expect((await owner.post("/login", { email: "ada@example.com" })).status).toBe(303);
    const ownersToken = tokenIn(await lastMailTo("ada@example.com"));
    // A stranger asks right away: a pool of its own, so it is sent, but it can't supersede the owner's.
    expect((await post("/login", { email: "ada@example.com" }, fromIp("198.51.100.7"))).status).toBe(303);
    expect(tokenIn(await lastMailTo("ada@example.com"))).not.toBe(ownersToken);
    expect((await owner.post("/auth/verify", { token: ownersToken })).status).toBe(303);
  });

  it("lets the owner's newer email retire a stranger's", async () => {
    const owner = await ownersBrowser();
    expect((await post("/login", { email: "ada@example.com" }, fromIp("198.51.100.7"))).status).toBe(303);
    const strangersToken = tokenIn(await lastMailTo("ada@example.com"));
    expect((await owner.post("/login", { email: "ada@example.com" })).status).toBe(303);
    const refused = await post("/auth/verify", { token: strangersToken });
    expect(refused.status).toBe(410);
  });
});

describe("the deployment-wide hourly email budget (LIMIT_GLOBAL_SENDS, exact in D1)", () => {
  const TIGHT = { LIMIT_GLOBAL_SENDS: "2/3600" };

  it("past the budget pauses sign-up emails first (same answer, no email), then everyone but known browsers", async () => {
    const owner = new Browser();
    owner.env = TIGHT;
    expect((await owner.signInWithEmail("owner@example.com")).status).toBe(303);
    expect((await owner.post("/logout", {})).status).toBe(303);
    await signIn("known@example.com");
    await env.DB.prepare("DELETE FROM send_budget").run();
    await letTimePass(31);

    const send = (email: string, ip: string) => fetchWithEnv(formPost("/login", { email }, ip), TIGHT);
    // Within the budget: new addresses get their email.
    expect((await send("new1@example.com", "198.51.100.1")).status).toBe(303);
    expect((await send("new2@example.com", "198.51.100.2")).status).toBe(303);
    expect(await mailsTo("new2@example.com")).toHaveLength(1);
    // Past it: a new address gets the same page, and no email…
    const paused = await send("new3@example.com", "198.51.100.3");
    expect(paused.status).toBe(303);
    expect(sentStateIn(paused)).toMatchObject({ email: "new3@example.com", justSent: false });
    expect(await (await followToSentPage(paused)).text()).toContain("We sent a sign-in link and code to");
    expect(await mailsTo("new3@example.com")).toHaveLength(0);
    // …while existing accounts still get theirs, up to twice the budget.
    expect((await send("known@example.com", "198.51.100.4")).status).toBe(303);
    expect(await mailsTo("known@example.com")).toHaveLength(2);
    expect((await send("owner@example.com", "198.51.100.5")).status).toBe(303);
    expect(await env.DB.prepare("SELECT sent FROM send_budget").first("sent")).toBe(4);
    // Past twice the budget only a browser the account knows is served; the answer names no account.
    await letTimePass(31);
    const refusedKnown = await send("known@example.com", "198.51.100.6");
    const refusedNew = await send("new4@example.com", "198.51.100.7");
    expect(refusedKnown.status).toBe(429);
    expect(refusedNew.status).toBe(429);
    expect(await refusedKnown.text()).toContain("Too many sign-in emails were requested");
    const mailsBefore = (await mailsTo("owner@example.com")).length;
    expect((await owner.post("/login", { email: "owner@example.com" })).status).toBe(303);
    expect(await mailsTo("owner@example.com")).toHaveLength(mailsBefore + 1);
  });
});

describe("refusals stay cheap", () => {
  it("records a limit hit once per client and window, however many requests it refuses", async () => {
    const tight = { LIMIT_IP_SENDS: "1/3600" };
    expect((await fetchWithEnv(formPost("/login", { email: "a0@example.com" }, "203.0.113.50"), tight)).status).toBe(303);
    for (let i = 1; i <= 60; i++) {
      expect((await fetchWithEnv(formPost("/login", { email: `a${i}@example.com` }, "203.0.113.50"), tight)).status).toBe(429);
    }
    const rows = await env.DB.prepare("SELECT detail FROM auth_events WHERE type = 'rate_limited'").all<{ detail: string }>();
    expect(rows.results).toEqual([{ detail: "ip-sends" }]);
  });

  it("counts made-up link tokens on one log row per client and hour", async () => {
    for (let i = 0; i < 20; i++) {
      const response = await fetchWithEnv(formPost("/auth/verify", { token: i % 2 ? "bad%" : `${"x".repeat(42)}${i}` }, "203.0.113.51"), {});
      expect(response.status).toBe(400);
    }
    const rows = await env.DB.prepare("SELECT detail, count FROM auth_events WHERE type = 'link_refused'").all<{ detail: string; count: number }>();
    expect(rows.results).toEqual([{ detail: "invalid", count: 20 }]);
  });

  it("stores at most 256 characters of a user agent", async () => {
    const browser = new Browser(`Mozilla/5.0 ${"x".repeat(5000)}`);
    expect((await browser.signInWithEmail("ada@example.com")).status).toBe(303);
    expect((await browser.post("/auth/code", { email: "ada@example.com", code: "12" })).status).toBe(400);
    await browser.post("/auth/verify", { token: "y".repeat(43) });
    const lengths = await env.DB.prepare(
      `SELECT (SELECT max(length(user_agent)) FROM sessions) AS sessions, (SELECT max(length(user_agent)) FROM known_devices) AS devices,
         (SELECT max(length(user_agent)) FROM auth_events) AS events`,
    ).first<{ sessions: number; devices: number; events: number }>();
    expect(lengths).toEqual({ sessions: 256, devices: 256, events: 256 });
  });
});

describe("sign-up off gives no timing tell", () => {
  it("does the same number of D1 round trips before answering a known and an unknown address", async () => {
    await signIn("known@example.com");
    await letTimePass(31);
    const settings = { ALLOW_SIGNUP: "false", BENCH_COUNT_QUERIES: "true" };
    const known = await fetchWithEnv(formPost("/login", { email: "known@example.com" }, "203.0.113.60"), settings);
    const unknown = await fetchWithEnv(formPost("/login", { email: "nobody@example.com" }, "203.0.113.61"), settings);
    expect(known.status).toBe(303);
    expect(unknown.status).toBe(303);
    expect(known.headers.get("X-D1-Queries")).not.toBeNull();
    expect(unknown.headers.get("X-D1-Queries")).toBe(known.headers.get("X-D1-Queries"));
    expect(await mailsTo("known@example.com")).toHaveLength(2);
    expect(await mailsTo("nobody@example.com")).toHaveLength(0);
  });
});

/** A same-origin form POST from `ip`, as a Request for fetchWithEnv. */
function formPost(path: string, form: Record<string, string>, ip: string): Request {
  return new Request(url(path), {
    method: "POST",
    body: new URLSearchParams(form).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, Host: new URL(ORIGIN).host, "CF-Connecting-IP": ip },
    redirect: "manual",
  });
}
