import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { count, fetchWithEnv, letTimePass, url } from "../helpers/app";
import { hang, interceptMailApi, unreachable } from "../mocks/mail-api";
import { interceptResend } from "../mocks/resend";
import { interceptPostmark, postmarkAccepted, postmarkRefused } from "../mocks/postmark";
import { expectConsoleErrors } from "../setup";
import { RESEND_ENDPOINT } from "~/lib/mail/resend.server";
import { POSTMARK_ENDPOINT } from "~/lib/mail/postmark.server";

const FROM = "Latchkey <login@latchkey.test>";
const resendEnv = { EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_test_key", EMAIL_FROM: FROM };
const postmarkEnv = { EMAIL_PROVIDER: "postmark", POSTMARK_SERVER_TOKEN: "pm-server-token", EMAIL_FROM: FROM };

function postLogin(email: string, envOverrides: Record<string, unknown>) {
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
    envOverrides,
  );
}

const liveTokens = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM verification_tokens WHERE superseded_at IS NULL AND consumed_at IS NULL").first<{ n: number }>())!.n;

/** Poll with the runtime's own timer (not a faked one) until `ready` holds. */
async function until(ready: () => boolean) {
  for (let i = 0; i < 400 && !ready(); i++) await scheduler.wait(5);
  if (!ready()) throw new Error("condition never became true");
}

/** What the Worker logs with console.error from here on (the failures are expected: see expectConsoleErrors). */
function watchErrors() {
  expectConsoleErrors();
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  return () => spy.mock.calls.map((call) => call.map(String).join(" "));
}

afterEach(() => {
  vi.useRealTimers();
});

type SendEmailMessage = Parameters<SendEmail["send"]>[0];

/**
 * Stands in for the `send_email` binding: records every call, then answers as told. "accept" hands
 * the call to the binding miniflare simulates for the test Worker (wrangler dev's local simulation), so
 * the message also passes its checks (e.g. allowed_sender_addresses).
 */
function recordingEmailBinding() {
  const calls: SendEmailMessage[] = [];
  let answer: "accept" | "refuse" | "unavailable" | "hang" = "accept";
  const binding = {
    async send(message: SendEmailMessage) {
      calls.push(structuredClone(message));
      switch (answer) {
        case "accept":
          return (env as Env).EMAIL!.send(message);
        case "refuse":
          throw Object.assign(new Error("Sender domain not verified"), { code: "E_SENDER_NOT_VERIFIED" });
        case "unavailable":
          throw Object.assign(new Error("Email Service temporarily unavailable"), { code: "E_INTERNAL_SERVER_ERROR" });
        case "hang":
          return new Promise<never>(() => {});
      }
    },
  };
  return { binding, calls, answer: (next: typeof answer) => void (answer = next) };
}

describe("Resend: the request", () => {
  it("POSTs the message to Resend's /emails with the API key, text and HTML parts", async () => {
    const { captured } = interceptResend(() => Response.json({ id: "email_123" }));
    const response = await postLogin("ada@example.com", resendEnv);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login/sent");
    expect(captured).toHaveLength(1);
    const [sent] = captured;
    expect(sent!.url).toBe("https://api.resend.com/emails");
    expect(sent!.method).toBe("POST");
    expect(sent!.headers.get("Authorization")).toBe("Bearer re_test_key");
    expect(sent!.headers.get("Content-Type")).toBe("application/json");
    const body = sent!.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["from", "html", "subject", "text", "to"]);
    expect(body).toMatchObject({ from: FROM, to: ["ada@example.com"], subject: "Your Latchkey sign-in link" });
    expect(body.text).toMatch(new RegExp(`${env.APP_URL}/auth/verify\\?token=[A-Za-z0-9_-]{43}`));
    expect(body.html).toMatch(/<a href="https:\/\/latchkey\.test\/auth\/verify\?token=/);
    expect(await count("verification_tokens")).toBe(1);
    expect(await count("outbox_messages")).toBe(0);
  });

  it("never hands a CR/LF-laden address to the provider", async () => {
    const { captured } = interceptResend(() => Response.json({ id: "x" }));
    const response = await postLogin("ada@example.com\r\nBcc: all@example.com", resendEnv);
    expect(response.status).toBe(400);
    expect(captured).toHaveLength(0);
  });
});

describe("Postmark: the request", () => {
  it("POSTs the message to Postmark's /email with the server token, on the outbound stream, untracked", async () => {
    const { captured } = interceptPostmark(postmarkAccepted);
    const response = await postLogin("ada@example.com", postmarkEnv);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login/sent");
    expect(captured).toHaveLength(1);
    const [sent] = captured;
    expect(sent!.url).toBe("https://api.postmarkapp.com/email");
    expect(sent!.method).toBe("POST");
    expect(sent!.headers.get("X-Postmark-Server-Token")).toBe("pm-server-token");
    expect(sent!.headers.get("Accept")).toBe("application/json");
    expect(sent!.headers.get("Content-Type")).toBe("application/json");
    expect(sent!.headers.has("Authorization")).toBe(false);
    const body = sent!.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["From", "HtmlBody", "MessageStream", "Subject", "TextBody", "To", "TrackLinks", "TrackOpens"]);
    expect(body).toMatchObject({
      From: FROM,
      To: "ada@example.com",
      Subject: "Your Latchkey sign-in link",
      MessageStream: "outbound",
      // No pixel (EM-2), and no click tracking routing the sign-in token through Postmark's redirector.
      TrackOpens: false,
      TrackLinks: "None",
    });
    expect(body.TextBody).toMatch(/https:\/\/latchkey\.test\/auth\/verify\?token=[A-Za-z0-9_-]{43}/);
    expect(body.HtmlBody).toMatch(/<a href="https:\/\/latchkey\.test\/auth\/verify\?token=/);
    expect(await count("verification_tokens")).toBe(1);
    expect(await count("outbox_messages")).toBe(0);
  });

  it("logs Postmark's own error code when it refuses a message, and shows the person only the 503 page", async () => {
    const loggedErrors = watchErrors();
    interceptPostmark(() => postmarkRefused(400, "The 'From' address you supplied is not a Sender Signature on your account."));
    const response = await postLogin("ada@example.com", postmarkEnv);
    expect(response.status).toBe(503);
    expect(await response.text()).not.toContain("Sender Signature");
    expect(loggedErrors().join("\n")).toMatch(/sign-in mail failed: Postmark answered 422: \{"ErrorCode":400,/);
  });
});

describe("Cloudflare Email Service: the binding call", () => {
  it("calls the EMAIL binding's send() once with sender, recipient, subject, text and HTML", async () => {
    const email = recordingEmailBinding();
    const response = await postLogin("ada@example.com", { EMAIL_PROVIDER: "cloudflare", EMAIL: email.binding, EMAIL_FROM: FROM });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login/sent");
    expect(email.calls).toHaveLength(1);
    const [call] = email.calls as Record<string, unknown>[];
    expect(Object.keys(call!).sort()).toEqual(["from", "html", "subject", "text", "to"]);
    expect(call).toMatchObject({
      from: { name: "Latchkey", email: "login@latchkey.test" },
      to: "ada@example.com",
      subject: "Your Latchkey sign-in link",
    });
    expect(call!.text).toMatch(/https:\/\/latchkey\.test\/auth\/verify\?token=[A-Za-z0-9_-]{43}/);
    expect(call!.html).toMatch(/<a href="https:\/\/latchkey\.test\/auth\/verify\?token=/);
    expect(await count("verification_tokens")).toBe(1);
    expect(await count("outbox_messages")).toBe(0);
  });

  it("passes a bare EMAIL_FROM address through as a string", async () => {
    const email = recordingEmailBinding();
    await postLogin("ada@example.com", { EMAIL_PROVIDER: "cloudflare", EMAIL: email.binding, EMAIL_FROM: "login@latchkey.test" });
    expect(email.calls[0]!.from).toBe("login@latchkey.test");
  });

  it("logs the binding's error code when Email Service refuses the message", async () => {
    const loggedErrors = watchErrors();
    const email = recordingEmailBinding();
    email.answer("refuse");
    expect((await postLogin("ada@example.com", { EMAIL_PROVIDER: "cloudflare", EMAIL: email.binding })).status).toBe(503);
    expect(loggedErrors().join("\n")).toMatch(/Cloudflare Email Service refused: E_SENDER_NOT_VERIFIED Sender domain not verified/);
  });
});

/**
 * The same promises, provider by provider (docs/decisions/010): one attempt with a 5-second deadline;
 * any failure is a 503 page that names no provider detail and leaves no redeemable token (EM-3); the
 * person's own retry is the retry, and it can succeed at once; a failed newer email keeps the earlier link.
 */
interface Harness {
  env: Record<string, unknown>;
  answer(next: "accept" | "refuse" | "unavailable" | "hang" | "unreachable"): void;
  calls(): number;
}

function httpHarness(endpoint: string, providerEnv: Record<string, unknown>, accepted: () => Response, refused: () => Response): () => Harness {
  return () => {
    let answer: Parameters<Harness["answer"]>[0] = "accept";
    const { captured } = interceptMailApi(endpoint, (request) => {
      switch (answer) {
        case "accept":
          return accepted();
        case "refuse":
          return refused();
        case "unavailable":
          return new Response("upstream unavailable", { status: 503 });
        case "hang":
          return hang(request);
        case "unreachable":
          return unreachable(request);
      }
    });
    return { env: providerEnv, answer: (next) => void (answer = next), calls: () => captured.length };
  };
}

const providers: [string, () => Harness][] = [
  ["Resend", httpHarness(RESEND_ENDPOINT, resendEnv, () => Response.json({ id: "email_1" }), () => Response.json({ name: "validation_error" }, { status: 422 }))],
  ["Postmark", httpHarness(POSTMARK_ENDPOINT, postmarkEnv, postmarkAccepted, () => postmarkRefused(406, "Inactive recipient"))],
  [
    "Cloudflare Email Service",
    () => {
      const email = recordingEmailBinding();
      return {
        env: { EMAIL_PROVIDER: "cloudflare", EMAIL: email.binding, EMAIL_FROM: FROM },
        answer: (next) => email.answer(next === "unreachable" ? "unavailable" : next),
        calls: () => email.calls.length,
      };
    },
  ],
];

describe.each(providers)("%s: failures, timeouts and retries", (name, makeHarness) => {
  it.each(["refuse", "unavailable", "unreachable"] as const)("answers 503 and deletes the just-issued token when the provider is %s", async (failure) => {
    expectConsoleErrors();
    const provider = makeHarness();
    provider.answer(failure);
    const response = await postLogin("ada@example.com", provider.env);
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain("We couldn&#x27;t send the email just now");
    expect(html).not.toMatch(/validation_error|Inactive recipient|E_SENDER|upstream/);
    expect(await count("verification_tokens")).toBe(0);
    expect(provider.calls()).toBe(1);
  });

  it(`gives ${name} 5 seconds, then answers 503 and deletes the token`, async () => {
    const loggedErrors = watchErrors();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const provider = makeHarness();
    provider.answer("hang");
    let answered = false;
    const pending = postLogin("ada@example.com", provider.env).finally(() => (answered = true));
    await until(() => provider.calls() === 1);

    await vi.advanceTimersByTimeAsync(4_900);
    await scheduler.wait(50);
    expect(answered).toBe(false);
    expect(loggedErrors()).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    const response = await pending;
    expect(response.status).toBe(503);
    expect(loggedErrors().join("\n")).toContain(`sign-in mail failed: ${name} timed out`);
    expect(await count("verification_tokens")).toBe(0);
  });

  it("makes exactly one attempt per request; the person's retry can succeed at once", async () => {
    expectConsoleErrors();
    const provider = makeHarness();
    provider.answer("unavailable");
    expect((await postLogin("ada@example.com", provider.env)).status).toBe(503);
    expect(provider.calls()).toBe(1);
    provider.answer("accept");
    expect((await postLogin("ada@example.com", provider.env)).status).toBe(303);
    expect(provider.calls()).toBe(2);
    expect(await liveTokens()).toBe(1);
  });

  it("keeps the earlier link alive when sending a newer one fails", async () => {
    expectConsoleErrors();
    const provider = makeHarness();
    expect((await postLogin("ada@example.com", provider.env)).status).toBe(303);
    await letTimePass(31);
    provider.answer("refuse");
    expect((await postLogin("ada@example.com", provider.env)).status).toBe(503);
    expect(await liveTokens()).toBe(1);
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

  it.each([
    [{ EMAIL_PROVIDER: "resend", RESEND_API_KEY: "" }, "RESEND_API_KEY is not set but EMAIL_PROVIDER is resend (wrangler secret put RESEND_API_KEY)"],
    [{ EMAIL_PROVIDER: "postmark", POSTMARK_SERVER_TOKEN: undefined }, "POSTMARK_SERVER_TOKEN is not set but EMAIL_PROVIDER is postmark (wrangler secret put POSTMARK_SERVER_TOKEN"],
    [{ EMAIL_PROVIDER: "cloudflare", EMAIL: undefined }, "EMAIL_PROVIDER is cloudflare but the Worker has no EMAIL binding: add [[send_email]] with name = &quot;EMAIL&quot; to wrangler.toml"],
  ])("names the missing provider setting and how to set it: %j", async (overrides, message) => {
    expectConsoleErrors();
    const response = await fetchWithEnv(new Request(url("/login")), overrides);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain(message);
  });

  it("refuses the outbox on an APP_URL that isn't this machine, and says why", async () => {
    expectConsoleErrors();
    const response = await fetchWithEnv(new Request("https://auth.example.org/login"), { APP_URL: "https://auth.example.org", EMAIL_PROVIDER: "outbox" });
    expect(response.status).toBe(503);
    const html = (await response.text()).replaceAll("&#39;", "'");
    expect(html).toContain("Latchkey isn't configured yet");
    expect(html).toContain(
      "EMAIL_PROVIDER is outbox, which keeps sign-in emails in this Worker's database instead of sending them, so nobody would get their link",
    );
    expect(await count("outbox_messages")).toBe(0);
  });

  it("refuses the shipped example APP_URL with the page that says what to set", async () => {
    expectConsoleErrors();
    const response = await fetchWithEnv(new Request("https://latchkey.example.com/login"), { APP_URL: "https://latchkey.example.com" });
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain("Latchkey isn&#39;t configured yet");
    expect(html).toContain("APP_URL is still the example https://latchkey.example.com: set it to the address people will open");
    expect(html).toContain("workers.dev");
  });
});
