import { describe, expect, it, vi } from "vitest";
import { createResendMailer } from "~/lib/mail/resend.server";
import { createPostmarkMailer } from "~/lib/mail/postmark.server";
import { createCloudflareMailer, parseMailbox } from "~/lib/mail/cloudflare.server";
import { renderSignInEmail } from "~/emails/sign-in-email";
import { testConfig } from "../helpers/deps";
import { interceptResend } from "../mocks/resend";
import { interceptPostmark, postmarkAccepted, postmarkRefused } from "../mocks/postmark";

const message = { to: "ada@example.com", subject: "Hi", text: "text", html: "<p>html</p>" };

describe("the Resend mailer", () => {
  it("reports success on 200", async () => {
    interceptResend(() => Response.json({ id: "1" }));
    expect(await createResendMailer({ apiKey: "k", from: "f@example.com" }).send(message)).toEqual({ ok: true });
  });

  it("reports failure (without throwing) on a 4xx/5xx, with the status for the log", async () => {
    interceptResend(() => Response.json({ message: "invalid from" }, { status: 422 }));
    const result = await createResendMailer({ apiKey: "k", from: "f@example.com" }).send(message);
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining("422") });
  });

  it("gives up after its timeout", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
        }),
    );
    const result = await createResendMailer({ apiKey: "k", from: "f@example.com", timeoutMs: 50 }).send(message);
    expect(result).toEqual({ ok: false, error: "Resend timed out" });
  });
});

describe("the Postmark mailer", () => {
  it("reports success on Postmark's 200", async () => {
    interceptPostmark(postmarkAccepted);
    expect(await createPostmarkMailer({ serverToken: "t", from: "f@example.com" }).send(message)).toEqual({ ok: true });
  });

  it("reports a refusal with the status and Postmark's error code for the log", async () => {
    interceptPostmark(() => postmarkRefused(300, "Invalid email request"));
    const result = await createPostmarkMailer({ serverToken: "t", from: "f@example.com" }).send(message);
    expect(result).toEqual({ ok: false, error: 'Postmark answered 422: {"ErrorCode":300,"Message":"Invalid email request"}' });
  });

  it("gives up after its timeout", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_input, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))),
    );
    const result = await createPostmarkMailer({ serverToken: "t", from: "f@example.com", timeoutMs: 50 }).send(message);
    expect(result).toEqual({ ok: false, error: "Postmark timed out" });
  });
});

describe("the Cloudflare Email Service mailer", () => {
  it("reports success when the binding accepts the message", async () => {
    const send = vi.fn(async () => ({ messageId: "<id@example.com>" }));
    expect(await createCloudflareMailer({ binding: { send }, from: "f@example.com" }).send(message)).toEqual({ ok: true });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("turns the binding's thrown error into a failure with its code", async () => {
    const send = vi.fn(async () => {
      throw Object.assign(new Error("Daily limit exceeded"), { code: "E_DAILY_LIMIT_EXCEEDED" });
    });
    const result = await createCloudflareMailer({ binding: { send }, from: "f@example.com" }).send(message);
    expect(result).toEqual({ ok: false, error: "Cloudflare Email Service refused: E_DAILY_LIMIT_EXCEEDED Daily limit exceeded" });
  });

  it("stops waiting for a binding call that doesn't return", async () => {
    const send = vi.fn(() => new Promise<never>(() => {}));
    const result = await createCloudflareMailer({ binding: { send }, from: "f@example.com", timeoutMs: 50 }).send(message);
    expect(result).toEqual({ ok: false, error: "Cloudflare Email Service timed out" });
  });

  it.each([
    ["Latchkey <login@example.com>", { name: "Latchkey", email: "login@example.com" }],
    ['"Acme, Inc." <login@example.com>', { name: "Acme, Inc.", email: "login@example.com" }],
    ["<login@example.com>", "login@example.com"],
    [" login@example.com ", "login@example.com"],
  ])("reads EMAIL_FROM %j as the sender %j", (from, sender) => {
    expect(parseMailbox(from)).toEqual(sender);
  });
});

describe("the sign-in email", () => {
  it("escapes what it interpolates into HTML", () => {
    const mail = renderSignInEmail({
      to: "a<b>@example.com",
      link: "https://latchkey.test/auth/verify?token=abc&x=\"y\"",
      expiresAt: new Date(Date.UTC(2026, 0, 1, 12, 10)),
      code: "012345",
      lifetimeMinutes: 10,
      theme: testConfig().theme,
    });
    expect(mail.html).toContain("a&lt;b&gt;@example.com");
    expect(mail.html).toContain("token=abc&amp;x=&quot;y&quot;");
    expect(mail.text).toContain("(at 12:10 UTC)");
    expect(mail.html).not.toMatch(/<img/);
  });
});
