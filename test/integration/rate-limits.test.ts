import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { count, fetchAndSettle, get, letTimePass, mailsTo, post, requestLink, signIn } from "../helpers/app";

const fromIp = (ip: string) => ({ headers: { "CF-Connecting-IP": ip } });

describe("per-email send limits (exact, in D1)", () => {
  it("refuses a second email within 30 seconds with 429, Retry-After and words, and sends nothing", async () => {
    expect((await post("/login", { email: "ada@example.com" })).status).toBe(200);
    const response = await post("/login", { email: "ada@example.com" });
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await response.text()).toMatch(/Too many sign-in emails were requested\. Please try again in \d+ seconds?\./);
    expect(await mailsTo("ada@example.com")).toHaveLength(1);
    expect(await count("verification_tokens")).toBe(1);
  });

  it("allows the next email once 30 seconds have passed", async () => {
    await post("/login", { email: "ada@example.com" });
    await letTimePass(31);
    expect((await post("/login", { email: "ada@example.com" })).status).toBe(200);
  });

  it("allows 5 emails an hour, then says when the next one can go", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await post("/login", { email: "ada@example.com" })).status).toBe(200);
      await letTimePass(60);
    }
    const response = await post("/login", { email: "ada@example.com" });
    expect(response.status).toBe(429);
    // The oldest of the five was sent 5 minutes ago, so the window frees up in about 55 minutes.
    const retryAfter = Number(response.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(54 * 60);
    expect(retryAfter).toBeLessThanOrEqual(55 * 60);
    expect(await response.text()).toContain("Please try again in 55 minutes.");
    expect(await mailsTo("ada@example.com")).toHaveLength(5);
  });

  it("sends exactly one email for 100 parallel requests for one inbox, from 100 IPs", async () => {
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => post("/login", { email: "ada@example.com" }, fromIp(`198.51.100.${i}`))),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(99);
    expect(await mailsTo("ada@example.com")).toHaveLength(1);
  });

  it("limits known and unknown addresses alike", async () => {
    await signIn("known@example.com");
    await post("/login", { email: "unknown@example.com" });
    expect((await post("/login", { email: "known@example.com" })).status).toBe(429);
    expect((await post("/login", { email: "unknown@example.com" })).status).toBe(429);
  });
});

describe("per-IP limits (coarse, in KV)", () => {
  it("stops the 21st email request from one IP within the hour, issuing no token", async () => {
    for (let i = 0; i < 20; i++) {
      expect((await post("/login", { email: `user${i}@example.com` }, fromIp("203.0.113.9"))).status).toBe(200);
    }
    const response = await post("/login", { email: "user20@example.com" }, fromIp("203.0.113.9"));
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await mailsTo("user20@example.com")).toHaveLength(0);
    expect(await count("verification_tokens")).toBe(20);
    // Another IP is unaffected.
    expect((await post("/login", { email: "user20@example.com" }, fromIp("203.0.113.10"))).status).toBe(200);
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
