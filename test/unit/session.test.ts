import { env } from "cloudflare:test";
import { createCookie } from "@remix-run/cloudflare";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { getSignedIn, invalidateSession, validateSessionToken } from "~/auth/session/signed-in.server";
import { LAST_SEEN_REFRESH_MS } from "~/auth/session/sessions.server";
import { readSessionToken, serializeSessionCookie } from "~/auth/session/cookies.server";
import { users } from "~/db/schema";
import { client, createTestSession, DAY, db, HOUR, MINUTE, testClock, testConfig } from "../helpers/deps";

const config = testConfig();

async function lastSeen(): Promise<number> {
  const row = await env.DB.prepare("SELECT last_seen_at FROM sessions").first<{ last_seen_at: number }>();
  return row!.last_seen_at;
}

describe("sessions", () => {
  let clock: ReturnType<typeof testClock>;
  beforeEach(async () => {
    clock = testClock();
    await db.insert(users).values({ id: "usr_1", email: "ada@example.com", createdAt: clock.now() });
  });

  it("stores only the SHA-256 of the token and validates the token back to its user", async () => {
    const { token, session } = await createTestSession("usr_1", client, { now: clock.now(), config });
    expect(session.id).toMatch(/^[0-9a-f]{64}$/);
    expect(session.id).not.toContain(token);
    const dump = JSON.stringify((await env.DB.prepare("SELECT * FROM sessions").all()).results);
    expect(dump).not.toContain(token);
    const signedIn = await validateSessionToken(db, token, { now: clock.now(), config });
    expect(signedIn?.user.email).toBe("ada@example.com");
    expect(signedIn?.session).toMatchObject({ ip: "203.0.113.7", userAgent: "vitest", country: "NL" });
  });

  it("expires 30 days after sign-in even when used every day", async () => {
    const { token } = await createTestSession("usr_1", client, { now: clock.now(), config });
    for (let day = 1; day < 30; day++) {
      clock.advance(DAY);
      expect(await validateSessionToken(db, token, { now: clock.now(), config })).not.toBeNull();
    }
    clock.advance(DAY - 1000);
    expect(await validateSessionToken(db, token, { now: clock.now(), config })).not.toBeNull();
    clock.advance(2000);
    expect(await validateSessionToken(db, token, { now: clock.now(), config })).toBeNull();
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sessions").first("n")).toBe(0);
  });

  it("expires after 7 idle days, and not a second before", async () => {
    const { token } = await createTestSession("usr_1", client, { now: clock.now(), config });
    clock.advance(7 * DAY - 1000);
    expect(await validateSessionToken(db, token, { now: clock.now(), config })).not.toBeNull();

    // That use moved last_seen, so another 7 days minus a second are fine; 7 days and a second are not.
    clock.advance(7 * DAY + 1000);
    expect(await validateSessionToken(db, token, { now: clock.now(), config })).toBeNull();
  });

  it("writes last_seen at most once an hour", async () => {
    const { token } = await createTestSession("usr_1", client, { now: clock.now(), config });
    const start = await lastSeen();
    clock.advance(LAST_SEEN_REFRESH_MS - MINUTE);
    await validateSessionToken(db, token, { now: clock.now(), config });
    expect(await lastSeen()).toBe(start);
    clock.advance(2 * MINUTE);
    await validateSessionToken(db, token, { now: clock.now(), config });
    expect(await lastSeen()).toBe(start + HOUR + MINUTE);
  });

  it("honours shorter configured lifetimes", async () => {
    const short = testConfig({ SESSION_LIFETIME_DAYS: "1", SESSION_IDLE_DAYS: "1" });
    const { token } = await createTestSession("usr_1", client, { now: clock.now(), config: short });
    clock.advance(DAY + 1000);
    expect(await validateSessionToken(db, token, { now: clock.now(), config: short })).toBeNull();
  });

  it("is gone after invalidateSession", async () => {
    const { token } = await createTestSession("usr_1", client, { now: clock.now(), config });
    await invalidateSession(db, token);
    expect(await validateSessionToken(db, token, { now: clock.now(), config })).toBeNull();
  });
});

describe("getSignedIn", () => {
  it("looks a request's session up once per load context, however many loaders ask", async () => {
    const clock = testClock();
    await db.insert(users).values({ id: "usr_1", email: "ada@example.com", createdAt: clock.now() });
    const { token, session } = await createTestSession("usr_1", client, { now: clock.now(), config });
    const cookie = (await serializeSessionCookie(config, token, session.expiresAt)).split(";")[0]!;
    const now = vi.fn(clock.now);
    const request = new Request("https://latchkey.test/dashboard", { headers: { Cookie: cookie } });

    const context = { db, config, now };
    // Remix hands each loader its own copy of the request.
    const [a, b] = await Promise.all([getSignedIn(request, context), getSignedIn(new Request(request), context)]);
    expect(a?.user.email).toBe("ada@example.com");
    expect(b).toBe(a);
    expect(now).toHaveBeenCalledTimes(1);

    // The next request has a new context, so it looks again.
    await getSignedIn(request, { db, config, now });
    expect(now).toHaveBeenCalledTimes(2);
  });
});

describe("the session cookie", () => {
  it("round-trips the token when signed with the current secret", async () => {
    const cookie = await serializeSessionCookie(config, "tok", new Date(Date.now() + DAY));
    const request = new Request("https://latchkey.test/", { headers: { Cookie: cookie.split(";")[0]! } });
    expect(await readSessionToken(request, config)).toBe("tok");
  });

  it("still accepts cookies signed with an older secret after rotation", async () => {
    const old = testConfig({ SESSION_SECRET: "old-secret-0123456789abcdef0123456789abcdef" });
    const rotated = testConfig({
      SESSION_SECRET: "new-secret-0123456789abcdef0123456789abcdef, old-secret-0123456789abcdef0123456789abcdef",
    });
    const cookie = (await serializeSessionCookie(old, "tok", new Date(Date.now() + DAY))).split(";")[0]!;
    const request = new Request("https://latchkey.test/", { headers: { Cookie: cookie } });
    expect(await readSessionToken(request, rotated)).toBe("tok");
    // New cookies are signed with the newest secret, which the old config alone can't verify.
    const fresh = (await serializeSessionCookie(rotated, "tok", new Date(Date.now() + DAY))).split(";")[0]!;
    expect(await readSessionToken(new Request("https://latchkey.test/", { headers: { Cookie: fresh } }), old)).toBeNull();
  });

  it("reads a cookie signed with an unknown secret as signed out", async () => {
    const forged = createCookie("__Host-latchkey_session", { secrets: ["attacker-secret-0123456789abcdef0123"] });
    const header = await forged.serialize("tok");
    const request = new Request("https://latchkey.test/", { headers: { Cookie: header.split(";")[0]! } });
    expect(await readSessionToken(request, config)).toBeNull();
  });

  it("drops the __Host- prefix and Secure only for a plain-http APP_URL", async () => {
    const local = testConfig({ APP_URL: "http://localhost:8787" });
    const header = await serializeSessionCookie(local, "tok", new Date(Date.now() + DAY));
    expect(header).toMatch(/^latchkey_session=/);
    expect(header).not.toMatch(/Secure/);
    expect(await serializeSessionCookie(config, "tok", new Date(Date.now() + DAY))).toMatch(/^__Host-.*; Secure/);
  });
});
