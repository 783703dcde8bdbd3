import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "~/worker";
import { count } from "../helpers/app";

const DAY = 24 * 60 * 60 * 1000;

async function runCron(at: number) {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "17 3 * * *" }), env as Env);
}

describe("the daily purge", () => {
  it("deletes only rows that can never be used again", async () => {
    const now = Date.now();
    await env.DB.prepare("INSERT INTO users (id, email, created_at) VALUES ('usr_1', 'ada@example.com', 0)").run();
    const token = env.DB.prepare(
      "INSERT INTO verification_tokens (token_hash, email, purpose, created_at, expires_at) VALUES (?1, 'ada@example.com', 'sign-in', ?2, ?3)",
    );
    const session = env.DB.prepare(
      "INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at) VALUES (?1, 'usr_1', ?2, ?3, ?4)",
    );
    const event = env.DB.prepare("INSERT INTO auth_events (type, created_at) VALUES ('sign_in', ?1)");
    await env.DB.batch([
      token.bind("expired-long-ago", now - 3 * DAY, now - 2 * DAY),
      token.bind("expired-just-now", now - 20 * 60_000, now - 10 * 60_000),
      token.bind("live", now, now + 10 * 60_000),
      session.bind("past-absolute-expiry", now - 40 * DAY, now - DAY, now - 2 * DAY),
      session.bind("idle-too-long", now - 20 * DAY, now + 10 * DAY, now - 8 * DAY),
      session.bind("alive", now - DAY, now + 29 * DAY, now - 60_000),
      env.DB.prepare("INSERT INTO pending_sign_ins (id, user_id, method, created_at, expires_at) VALUES ('old', 'usr_1', 'link', ?1, ?2)").bind(now - DAY, now - DAY + 600_000),
      env.DB.prepare("INSERT INTO pending_sign_ins (id, user_id, method, created_at, expires_at) VALUES ('new', 'usr_1', 'link', ?1, ?2)").bind(now, now + 600_000),
      env.DB.prepare("INSERT INTO spent_nonces (id, expires_at) VALUES ('spent-and-expired', ?1), ('spent-recently', ?2)").bind(now - 1, now + 600_000),
      event.bind(now - 181 * DAY),
      event.bind(now - 179 * DAY),
      env.DB.prepare("INSERT INTO passkey_challenges (id, purpose, created_at, expires_at) VALUES ('stale', 'sign-in', ?1, ?2)").bind(now - 600_000, now - 300_000),
      env.DB.prepare("INSERT INTO passkey_challenges (id, purpose, created_at, expires_at) VALUES ('fresh', 'sign-in', ?1, ?2)").bind(now, now + 300_000),
    ]);

    await runCron(now);

    const ids = async (table: string, column: string) =>
      (await env.DB.prepare(`SELECT ${column} AS v FROM ${table} ORDER BY ${column}`).all<{ v: string }>()).results.map((r) => r.v);
    expect(await ids("verification_tokens", "token_hash")).toEqual(["expired-just-now", "live"]);
    expect(await ids("sessions", "id")).toEqual(["alive"]);
    expect(await ids("pending_sign_ins", "id")).toEqual(["new"]);
    expect(await ids("spent_nonces", "id")).toEqual(["spent-recently"]);
    expect(await count("auth_events")).toBe(1);
    expect(await ids("passkey_challenges", "id")).toEqual(["fresh"]);
    expect(await count("users")).toBe(1);
  });
});
