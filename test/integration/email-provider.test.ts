import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { count, fetchWithEnv, letTimePass, url } from "../helpers/app";
import { interceptResend } from "../mocks/resend";
import { expectConsoleErrors } from "../setup";

const resendEnv = { EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_test_key", EMAIL_FROM: "Latchkey <login@latchkey.test>" };

function postLogin(email: string) {
  return fetchWithEnv(
    new Request(url("/login"), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://latchkey.test",
        Host: "latchkey.test",
      },
      body: new URLSearchParams({ email, redirectTo: "" }),
    }),
    resendEnv,
  );
}

describe("sending through Resend", () => {
  it("POSTs the message to Resend's /emails with the API key, text and HTML parts", async () => {
    const { captured } = interceptResend(() => Response.json({ id: "email_123" }));
    const response = await postLogin("ada@example.com");
    expect(response.status).toBe(200);
    expect(captured).toHaveLength(1);
    const [sent] = captured;
    expect(sent!.url).toBe("https://api.resend.com/emails");
    expect(sent!.method).toBe("POST");
    expect(sent!.headers.get("Authorization")).toBe("Bearer re_test_key");
    expect(sent!.headers.get("Content-Type")).toBe("application/json");
    const body = sent!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      from: "Latchkey <login@latchkey.test>",
      to: ["ada@example.com"],
      subject: "Your Latchkey sign-in link",
    });
    expect(body.text).toMatch(new RegExp(`${env.APP_URL}/auth/verify\\?token=[A-Za-z0-9_-]{43}`));
    expect(body.html).toMatch(/<a href="https:\/\/latchkey\.test\/auth\/verify\?token=/);
    expect(await count("verification_tokens")).toBe(1);
    expect(await count("outbox_messages")).toBe(0);
  });

  it("shows a 503 page and deletes the just-issued token when Resend fails", async () => {
    expectConsoleErrors();
    interceptResend(() => Response.json({ message: "internal" }, { status: 500 }));
    const response = await postLogin("ada@example.com");
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain("We couldn&#x27;t send the email just now");
    expect(html).not.toContain("internal");
    expect(await count("verification_tokens")).toBe(0);
  });

  it("shows a 503 page when Resend rate-limits us (429), and an immediate retry can succeed", async () => {
    expectConsoleErrors();
    let answer = new Response('{"name":"rate_limit_exceeded"}', { status: 429 });
    interceptResend(() => answer);
    expect((await postLogin("ada@example.com")).status).toBe(503);
    expect(await count("verification_tokens")).toBe(0);
    answer = Response.json({ id: "email_2" });
    expect((await postLogin("ada@example.com")).status).toBe(200);
    expect(await count("verification_tokens")).toBe(1);
  });

  it("shows a 503 page and deletes the token when Resend times out", async () => {
    expectConsoleErrors();
    interceptResend(() => {
      throw new DOMException("The operation timed out.", "TimeoutError");
    });
    const response = await postLogin("ada@example.com");
    expect(response.status).toBe(503);
    expect(await count("verification_tokens")).toBe(0);
  });

  it("keeps the earlier link alive when sending a newer one fails", async () => {
    expectConsoleErrors();
    let fail = false;
    interceptResend(() => (fail ? new Response("down", { status: 502 }) : Response.json({ id: "ok" })));
    await postLogin("ada@example.com");
    await letTimePass(31);
    fail = true;
    expect((await postLogin("ada@example.com")).status).toBe(503);
    const live = await env.DB.prepare(
      "SELECT count(*) AS n FROM verification_tokens WHERE superseded_at IS NULL AND consumed_at IS NULL",
    ).first<{ n: number }>();
    expect(live!.n).toBe(1);
  });

  it("never hands a CR/LF-laden address to the provider", async () => {
    const { captured } = interceptResend(() => Response.json({ id: "x" }));
    const response = await postLogin("ada@example.com\r\nBcc: all@example.com");
    expect(response.status).toBe(400);
    expect(captured).toHaveLength(0);
  });
});

describe("configuration", () => {
  it("shows a configuration page, not a crash, when a secret is missing", async () => {
    expectConsoleErrors();
    const response = await fetchWithEnv(new Request(url("/login")), { SESSION_SECRET: undefined });
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain("Latchkey isn&#39;t configured yet");
    expect(html).toContain("SESSION_SECRET is not set");
  });

  it("requires RESEND_API_KEY when the provider is resend", async () => {
    expectConsoleErrors();
    const response = await fetchWithEnv(new Request(url("/login")), { EMAIL_PROVIDER: "resend", RESEND_API_KEY: "" });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("RESEND_API_KEY is not set");
  });
});
