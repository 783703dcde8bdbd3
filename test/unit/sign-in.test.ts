import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { redeemMagicLink, requestMagicLink } from "~/auth/sign-in.server";
import { inspectVerificationToken, VERIFICATION_LIFETIME_MS } from "~/auth/verification.server";
import type { MailMessage, Mailer } from "~/lib/mailer.server";
import { client, db, testClock, testConfig } from "../helpers/deps";
import { expectConsoleErrors } from "../setup";

const config = testConfig();

function recordingMailer(fail = false) {
  const sent: MailMessage[] = [];
  const mailer: Mailer = {
    async send(message) {
      sent.push(message);
      return fail ? { ok: false, error: "provider down" } : { ok: true };
    },
  };
  return { sent, mailer };
}

const tokenOf = (mail: MailMessage) => new URL(mail.text.match(/https:\S+/)![0]).searchParams.get("token")!;

async function issue(clock: ReturnType<typeof testClock>, email = "ada@example.com", redirectTo: string | null = null) {
  const { sent, mailer } = recordingMailer();
  const result = await requestMagicLink({ db, mailer, config, now: clock.now }, { email, redirectTo, requestIp: "203.0.113.7" });
  expect(result.ok).toBe(true);
  return tokenOf(sent[0]!);
}

describe("magic links", () => {
  it("are valid one second before ten minutes and refused one second after", async () => {
    const clock = testClock();
    const token = await issue(clock);
    expect((await inspectVerificationToken(db, token, "sign-in", clock.at(VERIFICATION_LIFETIME_MS - 1000))).ok).toBe(true);
    expect(await inspectVerificationToken(db, token, "sign-in", clock.at(VERIFICATION_LIFETIME_MS + 1000))).toEqual({
      ok: false,
      reason: "expired",
    });

    clock.advance(VERIFICATION_LIFETIME_MS + 1000);
    const late = await redeemMagicLink({ db, config, now: clock.now }, { token, client, previousSessionToken: null });
    expect(late).toEqual({ ok: false, reason: "expired" });
  });

  it("redeem once: a second redemption is 'used'", async () => {
    const clock = testClock();
    const token = await issue(clock, "ada@example.com", "/dashboard?x=1");
    const first = await redeemMagicLink({ db, config, now: clock.now }, { token, client, previousSessionToken: null });
    expect(first).toMatchObject({ ok: true, redirectTo: "/dashboard?x=1" });
    const second = await redeemMagicLink({ db, config, now: clock.now }, { token, client, previousSessionToken: null });
    expect(second).toEqual({ ok: false, reason: "used" });
  });

  it("records the requesting IP and purpose, and the session the token created", async () => {
    const clock = testClock();
    const token = await issue(clock);
    const result = await redeemMagicLink({ db, config, now: clock.now }, { token, client, previousSessionToken: null });
    expect(result.ok).toBe(true);
    const row = await env.DB.prepare("SELECT purpose, request_ip, session_id, consumed_at FROM verification_tokens").first();
    expect(row).toMatchObject({ purpose: "sign-in", request_ip: "203.0.113.7", consumed_at: clock.now().getTime() });
    const session = await env.DB.prepare("SELECT id FROM sessions").first<{ id: string }>();
    expect(row!.session_id).toBe(session!.id);
  });

  it("are superseded by a newer link for the same email, not by one for another email", async () => {
    const clock = testClock();
    const first = await issue(clock, "ada@example.com");
    const other = await issue(clock, "bob@example.com");
    await issue(clock, "ada@example.com");
    expect(await inspectVerificationToken(db, first, "sign-in", clock.now())).toEqual({ ok: false, reason: "superseded" });
    expect((await inspectVerificationToken(db, other, "sign-in", clock.now())).ok).toBe(true);
  });

  it("leave nothing behind when the mail can't be sent", async () => {
    expectConsoleErrors();
    const clock = testClock();
    const { mailer } = recordingMailer(true);
    const result = await requestMagicLink(
      { db, mailer, config, now: clock.now },
      { email: "ada@example.com", redirectTo: null, requestIp: null },
    );
    expect(result).toEqual({ ok: false, reason: "mail-failed" });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM verification_tokens").first("n")).toBe(0);
  });

  it("create the user on first redemption with a verified email, and keep the first verification time", async () => {
    const clock = testClock();
    await redeemMagicLink({ db, config, now: clock.now }, { token: await issue(clock), client, previousSessionToken: null });
    const firstVerified = clock.now().getTime();
    clock.advance(60_000);
    await redeemMagicLink({ db, config, now: clock.now }, { token: await issue(clock), client, previousSessionToken: null });
    const { results } = await env.DB.prepare("SELECT email, email_verified_at FROM users").all();
    expect(results).toEqual([{ email: "ada@example.com", email_verified_at: firstVerified }]);
  });
});
