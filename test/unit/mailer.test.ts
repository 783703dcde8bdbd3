import { describe, expect, it, vi } from "vitest";
import { createResendMailer } from "~/lib/mailer.server";
import { renderSignInEmail } from "~/emails/sign-in-email";
import { interceptResend } from "../mocks/resend";

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

describe("the sign-in email", () => {
  it("escapes what it interpolates into HTML", () => {
    const mail = renderSignInEmail({
      to: "a<b>@example.com",
      link: "https://latchkey.test/auth/verify?token=abc&x=\"y\"",
      expiresAt: new Date(Date.UTC(2026, 0, 1, 12, 10)),
      code: "012345",
      lifetimeMinutes: 10,
    });
    expect(mail.html).toContain("a&lt;b&gt;@example.com");
    expect(mail.html).toContain("token=abc&amp;x=&quot;y&quot;");
    expect(mail.text).toContain("(at 12:10 UTC)");
    expect(mail.html).not.toMatch(/<img/);
  });
});
