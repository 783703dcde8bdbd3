import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { redeemCode, redeemMagicLink, requestSignInEmail } from "~/auth/email/sign-in.server";
import { inspectVerificationToken, VERIFICATION_LIFETIME_MS } from "~/auth/email/verification-tokens.server";
import { client, codeIn, db, linkTokenIn, recordingMailer, signInDeps, testClock, testConfig } from "../helpers/deps";
import { expectConsoleErrors } from "../setup";

// Per-email send limits are exercised in their own tests; elsewhere, let emails flow.
const relaxed = testConfig({ LIMIT_EMAIL_SEND_INTERVAL_SECONDS: "1", LIMIT_EMAIL_SENDS: "100/3600" });

async function issue(clock: ReturnType<typeof testClock>, email = "ada@example.com", redirectTo: string | null = null) {
  const { sent, mailer } = recordingMailer();
  const { deps } = signInDeps({ clock, mailer, config: relaxed });
  const result = await requestSignInEmail(deps, { email, redirectTo, client });
  expect(result).toEqual({ ok: true });
  clock.advance(1000);
  return { token: linkTokenIn(sent[0]!), code: codeIn(sent[0]!) };
}

const redeemLink = (clock: ReturnType<typeof testClock>, token: string) =>
  redeemMagicLink(signInDeps({ clock, config: relaxed }).deps, { token, client, previousSessionToken: null });

describe("magic links", () => {
  it("are valid one second before ten minutes and refused one second after", async () => {
    const clock = testClock();
    const issuedAt = clock.now().getTime();
    const { token } = await issue(clock);
    const at = (ms: number) => new Date(issuedAt + ms);
    expect((await inspectVerificationToken(db, token, "sign-in", at(VERIFICATION_LIFETIME_MS - 1000))).ok).toBe(true);
    expect(await inspectVerificationToken(db, token, "sign-in", at(VERIFICATION_LIFETIME_MS + 1000))).toEqual({
      ok: false,
      reason: "expired",
    });
    clock.advance(VERIFICATION_LIFETIME_MS);
    expect(await redeemLink(clock, token)).toEqual({ ok: false, reason: "expired" });
  });

  it("redeem once: a second redemption is 'used'", async () => {
    const clock = testClock();
    const { token } = await issue(clock, "ada@example.com", "/dashboard?x=1");
    expect(await redeemLink(clock, token)).toMatchObject({ ok: true, outcome: { kind: "session", redirectTo: "/dashboard?x=1" } });
    expect(await redeemLink(clock, token)).toEqual({ ok: false, reason: "used" });
  });

  it("record the requesting IP and purpose, and the session the token created", async () => {
    const clock = testClock();
    const { token } = await issue(clock);
    expect((await redeemLink(clock, token)).ok).toBe(true);
    const row = await env.DB.prepare("SELECT purpose, request_ip, session_id, consumed_at FROM verification_tokens").first();
    expect(row).toMatchObject({ purpose: "sign-in", request_ip: "203.0.113.7", consumed_at: clock.now().getTime() });
    const session = await env.DB.prepare("SELECT id FROM sessions").first<{ id: string }>();
    expect(row!.session_id).toBe(session!.id);
  });

  it("are superseded by a newer email to the same address, not by one to another address", async () => {
    const clock = testClock();
    const first = await issue(clock, "ada@example.com");
    const other = await issue(clock, "bob@example.com");
    await issue(clock, "ada@example.com");
    expect(await inspectVerificationToken(db, first.token, "sign-in", clock.now())).toEqual({ ok: false, reason: "superseded" });
    expect((await inspectVerificationToken(db, other.token, "sign-in", clock.now())).ok).toBe(true);
  });

  it("leave nothing behind when the mail can't be sent", async () => {
    expectConsoleErrors();
    const { deps, settle } = signInDeps({ mailer: recordingMailer({ fail: true }).mailer });
    const result = await requestSignInEmail(deps, { email: "ada@example.com", redirectTo: null, client });
    expect(result).toEqual({ ok: false, reason: "mail-failed" });
    await settle();
    expect(await env.DB.prepare("SELECT count(*) AS n FROM verification_tokens").first("n")).toBe(0);
    expect(await env.DB.prepare("SELECT type FROM auth_events").all()).toMatchObject({ results: [{ type: "email_failed" }] });
  });

  it("create the user on first redemption with a verified email, and keep the first verification time", async () => {
    const clock = testClock();
    await redeemLink(clock, (await issue(clock)).token);
    const firstVerified = clock.now().getTime();
    await redeemLink(clock, (await issue(clock)).token);
    const { results } = await env.DB.prepare("SELECT email, email_verified_at FROM users").all();
    expect(results).toEqual([{ email: "ada@example.com", email_verified_at: firstVerified }]);
  });
});

describe("the sign-in email", () => {
  it("carries the link and a 6-digit code, and stores only a keyed hash of the code", async () => {
    const { sent, mailer } = recordingMailer();
    const { deps } = signInDeps({ mailer });
    await requestSignInEmail(deps, { email: "ada@example.com", redirectTo: null, client });
    const code = codeIn(sent[0]!);
    expect(code).toMatch(/^\d{6}$/);
    expect(sent[0]!.html).toContain(`>${code}</p>`);
    const row = await env.DB.prepare("SELECT code_hash FROM verification_tokens").first<{ code_hash: string }>();
    expect(row!.code_hash).toMatch(/^[0-9a-f]{64}$/);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
    const plainHash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(row!.code_hash).not.toBe(plainHash);
    expect(JSON.stringify(row)).not.toContain(code);
  });
});

describe("codes", () => {
  const redeem = (clock: ReturnType<typeof testClock>, email: string, code: string, config = relaxed) =>
    redeemCode(signInDeps({ clock, config }).deps, { email, code, client, previousSessionToken: null });

  it("sign in once, then are 'used'", async () => {
    const clock = testClock();
    const { code } = await issue(clock, "ada@example.com", "/dashboard?from=code");
    expect(await redeem(clock, "ada@example.com", code)).toMatchObject({ ok: true, outcome: { kind: "session", redirectTo: "/dashboard?from=code", method: "code" } });
    expect(await redeem(clock, "ada@example.com", code)).toEqual({ ok: false, reason: "used" });
  });

  it("are bound to their email: the right code for A is refused for B", async () => {
    const clock = testClock();
    const { code } = await issue(clock, "ada@example.com");
    await issue(clock, "bob@example.com");
    const result = await redeem(clock, "bob@example.com", code);
    expect(result.ok).toBe(false);
    expect((await redeem(clock, "ada@example.com", code)).ok).toBe(true);
  });

  it("count down the tries left, and burn after 5 wrong guesses even for the right code", async () => {
    const clock = testClock();
    const { code } = await issue(clock);
    const wrong = code === "000000" ? "111111" : "000000";
    for (const left of [4, 3, 2, 1]) {
      expect(await redeem(clock, "ada@example.com", wrong)).toEqual({ ok: false, reason: "wrong-code", attemptsLeft: left });
    }
    expect(await redeem(clock, "ada@example.com", wrong)).toEqual({ ok: false, reason: "burned" });
    expect(await redeem(clock, "ada@example.com", code)).toEqual({ ok: false, reason: "burned" });
  });

  it("leave the link working when the code is burned", async () => {
    const clock = testClock();
    const { token, code } = await issue(clock);
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) await redeem(clock, "ada@example.com", wrong);
    expect((await redeemLink(clock, token)).ok).toBe(true);
  });

  it("expire after ten minutes", async () => {
    const clock = testClock();
    const { code } = await issue(clock);
    clock.advance(VERIFICATION_LIFETIME_MS);
    expect(await redeem(clock, "ada@example.com", code)).toEqual({ ok: false, reason: "expired" });
  });

  it("from an older email say a newer one was sent, without counting as a guess", async () => {
    const clock = testClock();
    const old = await issue(clock);
    const fresh = await issue(clock);
    expect(await redeem(clock, "ada@example.com", old.code)).toEqual({ ok: false, reason: "superseded" });
    const { attempts } = (await env.DB.prepare("SELECT attempts FROM verification_tokens ORDER BY id DESC").first<{ attempts: number }>())!;
    expect(attempts).toBe(0);
    expect((await redeem(clock, "ada@example.com", fresh.code)).ok).toBe(true);
  });

  it("pause code sign-in for an hour after 10 failures in an hour, across new codes, links unaffected", async () => {
    const clock = testClock();
    const config = testConfig({ LIMIT_EMAIL_SEND_INTERVAL_SECONDS: "1", LIMIT_EMAIL_SENDS: "100/3600" });
    let latest = await issue(clock);
    for (let failure = 1; failure <= 9; failure++) {
      if (failure === 5 || failure === 9) latest = await issue(clock); // new codes don't reset the account count
      const wrong = latest.code === "000000" ? "111111" : "000000";
      const result = await redeem(clock, "ada@example.com", wrong, config);
      expect(result).toMatchObject({ ok: false, reason: "wrong-code" });
    }
    const wrong = latest.code === "000000" ? "111111" : "000000";
    expect(await redeem(clock, "ada@example.com", wrong, config)).toEqual({ ok: false, reason: "locked", retryAfterSeconds: 3600 });
    // Even the right code is refused during the cool-down…
    expect(await redeem(clock, "ada@example.com", latest.code, config)).toMatchObject({ ok: false, reason: "locked" });
    // …but the link still works.
    expect((await redeemLink(clock, latest.token)).ok).toBe(true);
    const lockouts = await env.DB.prepare("SELECT type FROM auth_events WHERE type = 'code_lockout'").all();
    expect(lockouts.results).toHaveLength(1);
  });

  it("resume after the cool-down ends", async () => {
    const clock = testClock();
    let latest = await issue(clock);
    for (let i = 0; i < 10; i++) {
      if (i % 4 === 0) latest = await issue(clock);
      await redeem(clock, "ada@example.com", latest.code === "000000" ? "111111" : "000000");
    }
    clock.advance(60 * 60 * 1000);
    const fresh = await issue(clock);
    expect((await redeem(clock, "ada@example.com", fresh.code)).ok).toBe(true);
  });
});

describe("sign-up switched off", () => {
  const closed = testConfig({ ALLOW_SIGNUP: "false" });

  it("sends no email to an unknown address but answers the same, and its token can never create the account", async () => {
    const { sent, mailer } = recordingMailer();
    const clock = testClock();
    const { deps, settle } = signInDeps({ clock, mailer, config: closed });
    expect(await requestSignInEmail(deps, { email: "nobody@example.com", redirectTo: null, client })).toEqual({ ok: true });
    await settle();
    expect(sent).toHaveLength(0);
    // Guesses against it behave exactly like guesses against a real code.
    const guess = await redeemCode(signInDeps({ clock, config: closed }).deps, {
      email: "nobody@example.com",
      code: "123456",
      client,
      previousSessionToken: null,
    });
    expect(guess).toMatchObject({ ok: false, reason: "wrong-code", attemptsLeft: 4 });
  });

  it("still emails existing accounts (after the response)", async () => {
    await env.DB.prepare("INSERT INTO users (id, email, created_at) VALUES ('usr_x', 'ada@example.com', 0)").run();
    const { sent, mailer } = recordingMailer();
    const clock = testClock();
    const { deps, settle } = signInDeps({ clock, mailer, config: closed });
    expect(await requestSignInEmail(deps, { email: "ada@example.com", redirectTo: null, client })).toEqual({ ok: true });
    await settle();
    expect(sent.map((m) => m.to)).toEqual(["ada@example.com"]);
    const result = await redeemCode(signInDeps({ clock, config: closed }).deps, {
      email: "ada@example.com",
      code: codeIn(sent[0]!),
      client,
      previousSessionToken: null,
    });
    expect(result.ok).toBe(true);
  });
});
