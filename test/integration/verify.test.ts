import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cookieFrom, count, get, post, requestLink, signIn } from "../helpers/app";

describe("GET /auth/verify", () => {
  it("shows a confirm page naming the masked email, with a POST form carrying the token", async () => {
    const token = await requestLink("ada@example.com");
    const response = await get(`/auth/verify?token=${token}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const html = await response.text();
    expect(html).toContain('Sign in as <span class="nowrap">a…@example.com</span>?');
    expect(html).not.toContain("ada@example.com");
    expect(html).toMatch(/<form method="post"[^>]*>/);
    expect(html).toContain(`<input type="hidden" name="token" value="${token}"/>`);
  });

  it("never signs in on GET or HEAD: the token stays unused and no session exists", async () => {
    const token = await requestLink("ada@example.com");
    const getResponse = await get(`/auth/verify?token=${token}`);
    const headResponse = await get(`/auth/verify?token=${token}`, { method: "HEAD" });
    expect(getResponse.headers.get("Set-Cookie")).toBeNull();
    expect(headResponse.headers.get("Set-Cookie")).toBeNull();
    expect(await count("sessions")).toBe(0);
    expect(await count("users")).toBe(0);
    const row = await env.DB.prepare("SELECT consumed_at FROM verification_tokens").first();
    expect(row).toEqual({ consumed_at: null });
    // …and the link still works afterwards.
    expect((await post("/auth/verify", { token })).status).toBe(303);
  });

  const unusable: [string, string, number, RegExp][] = [
    ["missing", "/auth/verify", 400, /This sign-in link isn&#x27;t valid/],
    ["garbage", "/auth/verify?token=%3Cscript%3E", 400, /This sign-in link isn&#x27;t valid/],
    ["unknown", `/auth/verify?token=${"A".repeat(43)}`, 400, /This sign-in link isn&#x27;t valid/],
  ];
  for (const [label, path, status, message] of unusable) {
    it(`answers a ${label} token with ${status} and a way to get a new link`, async () => {
      const response = await get(path);
      expect(response.status).toBe(status);
      const html = await response.text();
      expect(html).toMatch(message);
      expect(html).toContain('href="/login"');
      expect(html).toContain("Get a new sign-in link");
    });
  }

  it("answers an expired token with 410 saying it expired", async () => {
    const token = await requestLink("ada@example.com");
    await env.DB.prepare("UPDATE verification_tokens SET expires_at = ?").bind(Date.now() - 1000).run();
    const response = await get(`/auth/verify?token=${token}`);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain("This sign-in link has expired");
  });

  it("answers a used token with 410 saying it was used", async () => {
    const token = await requestLink("ada@example.com");
    await post("/auth/verify", { token });
    const response = await get(`/auth/verify?token=${token}`);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain("This sign-in link was already used");
  });
});

describe("POST /auth/verify", () => {
  it("consumes the token, creates the user, and sets a locked-down session cookie", async () => {
    const token = await requestLink("ada@example.com");
    const response = await post("/auth/verify", { token });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/dashboard");

    const setCookie = response.headers.get("Set-Cookie")!;
    expect(setCookie).toMatch(/^__Host-latchkey_session=/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/Domain=/i);
    // The cookie carries an opaque token only: no email, in clear or base64.
    const value = decodeURIComponent(setCookie.split(";")[0]!.split("=").slice(1).join("="));
    expect(value).not.toContain("ada");
    expect(atob(value.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))).not.toContain("ada");

    const user = await env.DB.prepare("SELECT email, email_verified_at FROM users").first<{
      email: string;
      email_verified_at: number;
    }>();
    expect(user?.email).toBe("ada@example.com");
    expect(user?.email_verified_at).toBeGreaterThan(0);
    expect(await count("sessions")).toBe(1);
  });

  it("reuses the existing account on a later sign-in", async () => {
    await signIn("ada@example.com");
    await signIn("ADA@example.com");
    expect(await count("users")).toBe(1);
    expect(await count("sessions")).toBe(2);
  });

  it("creates exactly one session from 20 parallel redemptions of one token, with no 5xx", async () => {
    const token = await requestLink("ada@example.com");
    const responses = await Promise.all(Array.from({ length: 20 }, () => post("/auth/verify", { token })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 410)).toHaveLength(19);
    expect(await count("sessions")).toBe(1);
    expect(await count("users")).toBe(1);
  });

  it("goes to the stored redirectTo after sign-in", async () => {
    const token = await requestLink("ada@example.com", "/dashboard?tab=security#top");
    const response = await post("/auth/verify", { token });
    expect(response.headers.get("Location")).toBe("/dashboard?tab=security#top");
  });

  const openRedirects = [
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\t/evil.example",
    "%2F%2Fevil.example",
    "/auth/verify?token=x",
  ];
  for (const target of openRedirects) {
    it(`refuses to redirect to ${JSON.stringify(target)} and goes to /dashboard instead`, async () => {
      const token = await requestLink("ada@example.com", target);
      const response = await post("/auth/verify", { token });
      expect(response.status).toBe(303);
      expect(response.headers.get("Location")).toBe("/dashboard");
    });
  }

  it("rotates the session: signing in again ends the browser's previous session", async () => {
    const first = await signIn("ada@example.com");
    const second = await signIn("ada@example.com", { cookie: first });
    expect(second).not.toBe(first);
    expect(await count("sessions")).toBe(1);
    expect((await get("/dashboard", { headers: { Cookie: first } })).status).toBe(303);
    expect((await get("/dashboard", { headers: { Cookie: second } })).status).toBe(200);
  });

  it("won't sign in a form submission no person started (a mail scanner pressing the button), and keeps the link", async () => {
    const token = await requestLink("ada@example.com");
    const scanner = await post("/auth/verify", { token }, { headers: { "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "document" } });
    expect(scanner.status).toBe(400);
    expect(scanner.headers.get("Set-Cookie") ?? "").not.toContain("latchkey_session=");
    const html = await scanner.text();
    expect(html).toContain("Press the button below to sign in.");
    expect(html).toContain(`name="token" value="${token}"`);
    expect(await count("sessions")).toBe(0);

    const person = await post("/auth/verify", { token }, {
      headers: { "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1" },
    });
    expect(person.status).toBe(303);
    expect(await count("sessions")).toBe(1);
  });

  it("answers a garbage token with 400 and creates nothing", async () => {
    const response = await post("/auth/verify", { token: "not a token" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("This sign-in link isn");
    expect(await count("sessions")).toBe(0);
  });

  it("answers an expired token with 410 and creates nothing", async () => {
    const token = await requestLink("ada@example.com");
    await env.DB.prepare("UPDATE verification_tokens SET expires_at = ?").bind(Date.now() - 1).run();
    const response = await post("/auth/verify", { token });
    expect(response.status).toBe(410);
    expect(await response.text()).toContain("This sign-in link has expired");
    expect(await count("sessions")).toBe(0);
    expect(await count("users")).toBe(0);
  });

  it("signs in with a cookie that /dashboard accepts", async () => {
    const token = await requestLink("ada@example.com");
    const cookie = cookieFrom(await post("/auth/verify", { token }));
    const response = await get("/dashboard", { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
  });
});
