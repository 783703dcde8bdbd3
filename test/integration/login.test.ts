import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { count, fetchWithEnv, get, lastMailTo, letTimePass, linkIn, mailsTo, ORIGIN, post, SELF_URL_HOST, signIn, url } from "../helpers/app";

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
  it("answers 'check your email' and mails a link built from APP_URL", async () => {
    const response = await post("/login", { email: "  Ada@Example.COM ", redirectTo: "" });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Check your email");
    expect(html).toContain("ada@example.com");

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

  it("stores only the SHA-256 of the token, never the token itself", async () => {
    await post("/login", { email: "ada@example.com" });
    const token = linkIn(await lastMailTo("ada@example.com")).searchParams.get("token")!;
    const dump = JSON.stringify((await env.DB.prepare("SELECT * FROM verification_tokens").all()).results);
    expect(dump).not.toContain(token);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(dump).toContain(hex);
  });

  it("answers known and unknown addresses identically", async () => {
    await signIn("known@example.com");
    await letTimePass(31);
    const known = await post("/login", { email: "known@example.com" });
    const unknown = await post("/login", { email: "nobody@example.com" });
    expect(unknown.status).toBe(known.status);
    const volatile = new Set(["content-security-policy", "x-request-id", "date"]);
    const headerNames = (r: Response) => [...r.headers.keys()].filter((k) => !volatile.has(k)).sort();
    expect(headerNames(unknown)).toEqual(headerNames(known));
    const normalize = (html: string, email: string) =>
      html.replaceAll(email, "EMAIL").replace(/nonce="[^"]+"/g, 'nonce="N"');
    expect(normalize(await unknown.text(), "nobody@example.com")).toBe(
      normalize(await known.text(), "known@example.com"),
    );
    expect(await mailsTo("nobody@example.com")).toHaveLength(1);
    expect(await count("users")).toBe(1); // sign-up happens on verification, not on request
  });

  it("with ALLOW_SIGNUP=false, answers byte-identically but emails only existing accounts", async () => {
    await signIn("known@example.com");
    await letTimePass(31);
    const closed = (email: string) =>
      fetchWithEnv(
        new Request(url("/login"), {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, Host: "latchkey.test" },
          body: new URLSearchParams({ email }),
        }),
        { ALLOW_SIGNUP: "false" },
      );
    const known = await closed("known@example.com");
    const unknown = await closed("nobody@example.com");
    expect(unknown.status).toBe(200);
    expect(known.status).toBe(200);
    const normalize = (html: string, email: string) =>
      html.replaceAll(email, "EMAIL").replace(/nonce="[^"]+"/g, 'nonce="N"');
    expect(normalize(await unknown.text(), "nobody@example.com")).toBe(normalize(await known.text(), "known@example.com"));
    expect(await mailsTo("known@example.com")).toHaveLength(2);
    expect(await mailsTo("nobody@example.com")).toHaveLength(0);
    expect(await count("users")).toBe(1);
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
    expect(response.status).toBe(200);
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
