import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  cookieFrom,
  count,
  fetchWithEnv,
  followToSentPage,
  get,
  htmlOf,
  lastMailTo,
  letTimePass,
  linkIn,
  mailsTo,
  ORIGIN,
  post,
  SELF_URL_HOST,
  SENT_COOKIE,
  sentCookieAttributes,
  sentStateIn,
  signIn,
  url,
  withAddress,
} from "../helpers/app";
import { testConfig } from "../helpers/deps";
import { serializeSentCookie } from "~/auth/email/sent-cookie.server";

describe("GET /login", () => {
  it("shows a labelled email field and carries a safe redirectTo in a hidden field", async () => {
    const response = await get("/login?redirectTo=%2Fsettings%3Ftab%3D2");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/<label for="field-email">Email address<\/label>/);
    expect(html).toMatch(/<input id="field-email" name="email" type="email"/);
    expect(html).toContain('<input type="hidden" name="redirectTo" value="/settings?tab=2"/>');
  });

  it("drops a redirectTo that points off-site", async () => {
    const html = await (await get("/login?redirectTo=%2F%2Fevil.example")).text();
    expect(html).toContain('<input type="hidden" name="redirectTo" value=""/>');
    expect(html).not.toMatch(/value="[^"]*evil\.example/);
  });

  it("sends a signed-in visitor straight on", async () => {
    const cookie = await signIn("ada@example.com");
    const response = await get("/login", { headers: { Cookie: cookie } });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/dashboard");
  });

  it.each(["/.//evil.example/x", "/%2e//evil.example/x", "/a/..//evil.example/x"])(
    "never sends a signed-in visitor off-site through dot segments (%s)",
    async (target) => {
      const cookie = await signIn("ada@example.com");
      const response = await get(`/login?redirectTo=${encodeURIComponent(target)}`, { headers: { Cookie: cookie } });
      expect(response.status).toBe(303);
      expect(response.headers.get("Location")).toBe("/dashboard");
    },
  );
});

describe("POST /login", () => {
  it("redirects to 'check your email' (Post/Redirect/Get) and mails a link built from APP_URL", async () => {
    const response = await post("/login", { email: "  Ada@Example.COM ", redirectTo: "" });
    expect(response.status).toBe(303);
    // The address travels in a signed cookie, never in the URL (issue 16).
    expect(response.headers.get("Location")).toBe("/login/sent");
    expect(sentStateIn(response)).toMatchObject({ email: "ada@example.com", redirectTo: "/dashboard", justSent: false });
    const page = await followToSentPage(response);
    expect(page.status).toBe(200);
    const html = await htmlOf(page);
    expect(html).toContain("<title>Check your email · Latchkey</title>");
    expect(html).toContain('We sent a sign-in link and code to <strong class="nowrap">a…@example.com</strong>.');
    expect(html).not.toContain("ada@example.com");

    const mail = await lastMailTo("ada@example.com");
    expect(mail.subject).toBe("Your Latchkey sign-in link");
    const link = linkIn(mail);
    expect(link.origin).toBe(env.APP_URL);
    expect(link.pathname).toBe("/auth/verify");
    expect(mail.text).toMatch(/expire in 10 minutes \(at \d\d:\d\d UTC\)/);
    expect(mail.text).toContain("If you didn't ask to sign in");
    expect(mail.html).toContain(`href="${link.href}"`);
    expect(mail.html).toContain("expire in 10 minutes");
    expect(mail.html).toContain("If you didn&#39;t ask to sign in");
  });

  it("keeps the page's state in a short-lived, signed, HttpOnly cookie", async () => {
    const response = await post("/login", { email: "ada@example.com" });
    const [header] = response.headers.getSetCookie().filter((c) => c.startsWith(`${SENT_COOKIE}=`));
    expect(header).toMatch(/; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it("stores only the SHA-256 of the token, never the token itself", async () => {
    await post("/login", { email: "ada@example.com" });
    const token = linkIn(await lastMailTo("ada@example.com")).searchParams.get("token")!;
    const dump = JSON.stringify((await env.DB.prepare("SELECT * FROM verification_tokens").all()).results);
    expect(dump).not.toContain(token);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(dump).toContain(hex);
  });

  it("answers known and unknown addresses identically (ENU-1)", async () => {
    await signIn("known@example.com");
    await letTimePass(31);
    const before = Date.now();
    const known = await post("/login", { email: "known@example.com" });
    const unknown = await post("/login", { email: "nobody@example.com" });
    const after = Date.now();
    await expectSameAnswer({ known, unknown, before, after });
    expect(await mailsTo("nobody@example.com")).toHaveLength(1);
    expect(await count("users")).toBe(1); // sign-up happens on verification, not on request
  });

  it("with ALLOW_SIGNUP=false, answers identically but emails only existing accounts", async () => {
    await signIn("known@example.com");
    await letTimePass(31);
    const closed = (email: string) =>
      fetchWithEnv(
        new Request(url("/login"), {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, Host: "latchkey.test" },
          body: new URLSearchParams({ email }),
          redirect: "manual",
        }),
        { ALLOW_SIGNUP: "false" },
      );
    const before = Date.now();
    const known = await closed("known@example.com");
    const unknown = await closed("nobody@example.com");
    const after = Date.now();
    await expectSameAnswer({ known, unknown, before, after, env: { ALLOW_SIGNUP: "false" } });
    expect(await mailsTo("known@example.com")).toHaveLength(2);
    expect(await mailsTo("nobody@example.com")).toHaveLength(0);
    expect(await count("users")).toBe(1);
  });

  it("answers a second request within 30 seconds identically for known and unknown addresses (ENU-1)", async () => {
    await signIn("known@example.com");
    await post("/login", { email: "nobody@example.com" });
    const before = Date.now();
    const known = await post("/login", { email: "known@example.com" });
    const unknown = await post("/login", { email: "nobody@example.com" });
    const after = Date.now();
    expect(sentStateIn(known).justSent).toBe(true);
    await expectSameAnswer({ known, unknown, before, after, spacingMs: 30_000 });
  });

  it("builds the link from APP_URL even when Host and X-Forwarded-Host are spoofed", async () => {
    const response = await SELF_URL_HOST("https://evil.example/login", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://evil.example",
        "X-Forwarded-Host": "evil.example",
      },
      body: "email=ada%40example.com",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login/sent");
    expect(linkIn(await lastMailTo("ada@example.com")).origin).toBe(env.APP_URL);
  });

  it("supersedes the previous link once a new one is sent", async () => {
    await post("/login", { email: "ada@example.com" });
    const first = linkIn(await lastMailTo("ada@example.com"));
    await letTimePass(31);
    await post("/login", { email: "ada@example.com" });
    const response = await get(first.pathname + first.search);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain("A newer sign-in link was sent");
  });

  const badEmails: [string, string, RegExp][] = [
    ["empty", "", /Enter your email address\./],
    ["only spaces", "   ", /Enter your email address\./],
    ["no @", "ada.example.com", /Enter an email address like name@example\.com\./],
    ["two @", "ada@@example.com", /Enter an email address like name@example\.com\./],
    ["300 characters", `${"a".repeat(290)}@example.com`, /too long \(254 characters at most\)/],
    ["CR/LF header injection", "ada@example.com\r\nBcc: victim@example.com", /characters that aren.t allowed/],
    ["a NUL byte", "ada\u0000@example.com", /characters that aren.t allowed/],
    ["a quoted display name", '"Ada" <ada@example.com>', /Enter an email address like/],
  ];
  for (const [label, email, message] of badEmails) {
    it(`refuses an email with ${label}: 400, message tied to the field, no mail`, async () => {
      const response = await post("/login", { email });
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toMatch(message);
      expect(html).toMatch(/aria-invalid="true" aria-describedby="field-email-error"/);
      expect(html).toMatch(/<p id="field-email-error" class="field-error" role="alert">/);
      expect(html).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
      expect(await count("outbox_messages")).toBe(0);
      expect(await count("verification_tokens")).toBe(0);
    });
  }

  it("refuses a missing email field with 400", async () => {
    const response = await post("/login", { redirectTo: "/" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Enter your email address.");
  });
});

describe("GET /login/sent (check your email)", () => {
  it("shows the same page on every reload, without sending anything", async () => {
    const sent = await post("/login", { email: "ada@example.com" });
    const first = await followToSentPage(sent);
    const reloaded = await followToSentPage(sent);
    expect([first.status, reloaded.status]).toEqual([200, 200]);
    const normalize = (html: string) => html.replace(/nonce="[^"]+"/g, 'nonce="N"').replace(/another in \d+ seconds?/, "another in N seconds");
    expect(normalize(await reloaded.text())).toBe(normalize(await first.text()));
    expect(await mailsTo("ada@example.com")).toHaveLength(1);
    expect(await count("verification_tokens")).toBe(1);
  });

  it("says when another email can be sent, and stops saying it once it can", async () => {
    const sent = await post("/login", { email: "ada@example.com" });
    expect(await htmlOf(await followToSentPage(sent))).toMatch(/You can send another in (29|30) seconds\./);
    // The same page 31 seconds later: the cookie as the app wrote it then (the Worker's clock can't move).
    const later = await serializeSentCookie(testConfig(), { ...sentStateIn(sent), nextSendAt: Date.now() - 1000 });
    const page = await get("/login/sent", { headers: { Cookie: later.split(";")[0]! } });
    expect(page.status).toBe(200);
    const html = await htmlOf(page);
    expect(html).toContain("We sent a sign-in link and code to");
    expect(html).not.toContain("You can send another");
  });

  it("sends a visitor without the cookie to the sign-in page", async () => {
    const response = await get("/login/sent");
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login");
  });

  it("sends a visitor whose cookie was tampered with to the sign-in page", async () => {
    const sent = await post("/login", { email: "eve@example.com" });
    const forged = withAddress(cookieFrom(sent), "ada@example.com");
    const response = await get("/login/sent", { headers: { Cookie: forged } });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login");
    const unsigned = `${SENT_COOKIE}=${encodeURIComponent(btoa(JSON.stringify(JSON.stringify({ email: "ada@example.com", redirectTo: null, nextSendAt: 0, justSent: false }))))}`;
    expect((await get("/login/sent", { headers: { Cookie: unsigned } })).headers.get("Location")).toBe("/login");
  });

  it("'Send another email' sends to the address in the cookie, even if the form names another", async () => {
    const sent = await post("/login", { email: "ada@example.com" });
    await letTimePass(31);
    const another = await post("/login", { resend: "1", email: "eve@example.com" }, { cookie: cookieFrom(sent) });
    expect(another.status).toBe(303);
    expect(another.headers.get("Location")).toBe("/login/sent");
    expect(sentStateIn(another)).toMatchObject({ email: "ada@example.com", justSent: false });
    expect(await mailsTo("ada@example.com")).toHaveLength(2);
    expect(await mailsTo("eve@example.com")).toHaveLength(0);
  });

  it("'Send another email' within 30 seconds shows the 'just sent' page and sends nothing", async () => {
    const sent = await post("/login", { email: "ada@example.com" });
    const another = await post("/login", { resend: "1" }, { cookie: cookieFrom(sent) });
    expect(another.status).toBe(303);
    expect(sentStateIn(another).justSent).toBe(true);
    expect(await htmlOf(await followToSentPage(another))).toContain("We just sent an email to");
    expect(await mailsTo("ada@example.com")).toHaveLength(1);
  });

  it("asks for the address again when 'Send another email' comes after the cookie has gone", async () => {
    const response = await post("/login", { resend: "1" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Enter your email address.");
    expect(await count("outbox_messages")).toBe(0);
  });
});

/**
 * ENU-1 for the redirect: the same status, headers, cookie attributes and cookie contents apart from the
 * address, and the same page once followed apart from the masked address.
 */
async function expectSameAnswer({
  known,
  unknown,
  before,
  after,
  spacingMs = 30_000,
  env: overrides = {},
}: {
  known: Response;
  unknown: Response;
  before: number;
  after: number;
  spacingMs?: number;
  env?: Record<string, string>;
}) {
  expect(unknown.status).toBe(known.status);
  expect(unknown.headers.get("Location")).toBe(known.headers.get("Location"));
  const volatile = new Set(["content-security-policy", "x-request-id", "date"]);
  const headerNames = (r: Response) => [...r.headers.keys()].filter((k) => !volatile.has(k)).sort();
  expect(headerNames(unknown)).toEqual(headerNames(known));
  expect(sentCookieAttributes(unknown)).toBe(sentCookieAttributes(known));
  const knownState = sentStateIn(known);
  const unknownState = sentStateIn(unknown);
  expect({ ...unknownState, email: "EMAIL", nextSendAt: 0 }).toEqual({ ...knownState, email: "EMAIL", nextSendAt: 0 });
  for (const state of [knownState, unknownState]) {
    expect(state.nextSendAt).toBeGreaterThanOrEqual(before);
    expect(state.nextSendAt).toBeLessThanOrEqual(after + spacingMs);
  }
  const page = async (response: Response, masked: string) => {
    const followed = await fetchWithEnv(
      new Request(url("/login/sent"), { headers: { Cookie: cookieFrom(response), Host: "latchkey.test" }, redirect: "manual" }),
      overrides,
    );
    expect(followed.status).toBe(200);
    return (await htmlOf(followed))
      .replaceAll(masked, "EMAIL")
      .replace(/nonce="[^"]+"/g, 'nonce="N"')
      .replace(/another in \d+ seconds?/, "another in N seconds");
  };
  expect(await page(unknown, "n…@example.com")).toBe(await page(known, "k…@example.com"));
}
