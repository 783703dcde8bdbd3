import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PENDING_SIGN_IN_LIFETIME_MS } from "~/auth/session/pending-sign-ins.server";
import { startSessionForUser } from "~/auth/session/start.server";
import { sha256Hex } from "~/lib/crypto.server";
import { client, db, testClock, testConfig } from "../helpers/deps";

const config = testConfig();

async function user(id: string, { twoFactor = false } = {}) {
  await env.DB.prepare("INSERT INTO users (id, email, created_at) VALUES (?1, ?2, 0)").bind(id, `${id}@example.com`).run();
  if (twoFactor) {
    await env.DB.prepare("INSERT INTO totp_credentials (user_id, encrypted_secret, created_at, enabled_at) VALUES (?1, 'v1.x', 0, 1)").bind(id).run();
  }
}

describe("startSessionForUser", () => {
  it("makes a session for a user without 2FA, recording how and from where, and ends the browser's old session", async () => {
    const clock = testClock();
    await user("usr_a");
    const first = await startSessionForUser({ db, config, now: clock.now }, { userId: "usr_a", redirectTo: "/account", method: "github", client, previousSessionToken: null });
    const second = await startSessionForUser(
      { db, config, now: clock.now },
      { userId: "usr_a", redirectTo: "//evil.example", method: "github", client, previousSessionToken: first.token },
    );
    expect(first).toMatchObject({ kind: "session", userId: "usr_a", redirectTo: "/account", method: "github" });
    expect(second.redirectTo).toBe("/dashboard");
    const rows = (await env.DB.prepare("SELECT id, method, city, country, authenticated_at, created_at FROM sessions").all()).results;
    expect(rows).toEqual([
      { id: await sha256Hex(second.token), method: "github", city: "Amsterdam", country: "NL", authenticated_at: clock.now().getTime(), created_at: clock.now().getTime() },
    ]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM pending_sign_ins").first("n")).toBe(0);
  });

  it("makes only a 10-minute pending sign-in for a user with 2FA on", async () => {
    const clock = testClock();
    await user("usr_b", { twoFactor: true });
    const outcome = await startSessionForUser({ db, config, now: clock.now }, { userId: "usr_b", redirectTo: "/account", method: "github", client, previousSessionToken: null });
    expect(outcome).toMatchObject({ kind: "second-factor", userId: "usr_b", redirectTo: "/account" });
    expect(outcome.expiresAt.getTime() - clock.now().getTime()).toBe(PENDING_SIGN_IN_LIFETIME_MS);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sessions").first("n")).toBe(0);
    const pending = await env.DB.prepare("SELECT id, method, redirect_to, attempts FROM pending_sign_ins").first();
    expect(pending).toEqual({ id: await sha256Hex(outcome.token), method: "github", redirect_to: "/account", attempts: 0 });
  });

  it("treats an enrollment that was never confirmed as 2FA off", async () => {
    await user("usr_c");
    await env.DB.prepare("INSERT INTO totp_credentials (user_id, encrypted_secret, created_at) VALUES ('usr_c', 'v1.x', 0)").run();
    const outcome = await startSessionForUser({ db, config, now: testClock().now }, { userId: "usr_c", redirectTo: null, method: "github", client, previousSessionToken: null });
    expect(outcome.kind).toBe("session");
  });
});
