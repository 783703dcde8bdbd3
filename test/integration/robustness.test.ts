import { describe, expect, it, vi } from "vitest";
import { count, get, post, requestLink, SELF_URL_HOST, url } from "../helpers/app";

const noStackTrace = (html: string) => expect(html).not.toMatch(/\bat .+:\d+:\d+|node_modules|\.tsx?:\d+/);

describe("request bodies", () => {
  it("answers a 2 MB body with 413 and a readable page", async () => {
    const response = await post("/login", { email: "ada@example.com", padding: "x".repeat(2 * 1024 * 1024) });
    expect(response.status).toBe(413);
    const html = await response.text();
    expect(html).toContain("That request is too large");
    expect(html).toContain("16 KiB");
    noStackTrace(html);
    expect(await count("verification_tokens")).toBe(0);
  });

  it("answers a body just over 16 KiB with 413, and one just under normally", async () => {
    const over = await post("/login", { email: "ada@example.com", padding: "x".repeat(16 * 1024) });
    expect(over.status).toBe(413);
    const under = await post("/login", { email: "ada@example.com", padding: "x".repeat(15 * 1024) });
    expect(under.status).toBe(200);
  });

  it("answers a JSON body to a page with 415 and a readable page", async () => {
    const response = await SELF_URL_HOST(url("/login"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "https://latchkey.test" },
      body: JSON.stringify({ email: "ada@example.com" }),
    });
    expect(response.status).toBe(415);
    const html = await response.text();
    expect(html).toContain("Unsupported form data");
    noStackTrace(html);
  });

  it("answers a POST with no content type with 415", async () => {
    const response = await SELF_URL_HOST(url("/auth/verify"), {
      method: "POST",
      headers: { Origin: "https://latchkey.test" },
    });
    expect(response.status).toBe(415);
  });

  it("accepts multipart forms too", async () => {
    const body = new FormData();
    body.set("email", "ada@example.com");
    const response = await SELF_URL_HOST(url("/login"), {
      method: "POST",
      headers: { Origin: "https://latchkey.test" },
      body,
    });
    expect(response.status).toBe(200);
  });
});

describe("odd requests (issue 17)", () => {
  it("answers a chunked body over 16 KiB with 413 and a readable page", async () => {
    const bytes = new TextEncoder().encode(`email=ada%40example.com&padding=${"x".repeat(20 * 1024)}`);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.subarray(i, i + 4096));
        controller.close();
      },
    });
    const response = await SELF_URL_HOST(url("/login"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://latchkey.test" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.text()).toContain("That request is too large");
    expect(await count("verification_tokens")).toBe(0);
  });

  it("answers a path with a broken %-escape with a 400 page, and logs nothing", async () => {
    const warn = vi.spyOn(console, "warn");
    for (const path of ["/%", "/login%", "/%E0%A4%A"]) {
      const response = await get(path);
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain("That address isn");
      noStackTrace(html);
    }
    expect(warn).not.toHaveBeenCalled();
  });

  it("still serves a path with a valid %-escape", async () => {
    expect((await get("/log%69n")).status).toBe(200);
  });
});

describe("cross-site request forgery", () => {
  it("refuses a POST from another origin with 403 and sends no mail", async () => {
    const response = await post("/login", { email: "ada@example.com" }, { origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("Request blocked");
    expect(await count("outbox_messages")).toBe(0);
  });

  it("refuses a POST with Origin: null and no Sec-Fetch-Site", async () => {
    const response = await post("/login", { email: "ada@example.com" }, { origin: "null" });
    expect(response.status).toBe(403);
  });

  it("accepts Origin: null from a same-origin no-referrer page (the confirm page)", async () => {
    const token = await requestLink("ada@example.com");
    const response = await post("/auth/verify", { token }, { origin: "null", headers: { "Sec-Fetch-Site": "same-origin" } });
    expect(response.status).toBe(303);
  });

  it("refuses Origin: null when Sec-Fetch-Site says cross-site", async () => {
    const token = await requestLink("ada@example.com");
    const response = await post("/auth/verify", { token }, { origin: "null", headers: { "Sec-Fetch-Site": "cross-site" } });
    expect(response.status).toBe(403);
    expect(await count("sessions")).toBe(0);
  });

  it("answers a same-origin POST with a stray X-Forwarded-Host normally, not with a 500", async () => {
    const response = await post("/login", { email: "ada@example.com" }, { headers: { "X-Forwarded-Host": "other.example" } });
    expect(response.status).toBe(200);
  });

  it("refuses a POST with neither Origin nor Sec-Fetch-Site", async () => {
    expect((await post("/login", { email: "ada@example.com" }, { origin: null })).status).toBe(403);
  });

  it("refuses a POST whose Sec-Fetch-Site says cross-site", async () => {
    const response = await post(
      "/login",
      { email: "ada@example.com" },
      { origin: null, headers: { "Sec-Fetch-Site": "cross-site" } },
    );
    expect(response.status).toBe(403);
  });

  it("accepts a POST without Origin when Sec-Fetch-Site says same-origin", async () => {
    const response = await post(
      "/login",
      { email: "ada@example.com" },
      { origin: null, headers: { "Sec-Fetch-Site": "same-origin" } },
    );
    expect(response.status).toBe(200);
  });
});

describe("security headers", () => {
  it("sends a nonce-based CSP whose nonce is on every inline script", async () => {
    const response = await get("/login");
    const csp = response.headers.get("Content-Security-Policy")!;
    for (const directive of ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "default-src 'self'"]) {
      expect(csp).toContain(directive);
    }
    const nonce = csp.match(/script-src 'self' 'nonce-([A-Za-z0-9_-]+)'/)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toContain("unsafe-inline");
    const html = await response.text();
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    // A fresh nonce per response.
    const again = (await get("/login")).headers.get("Content-Security-Policy");
    expect(again).not.toBe(csp);
  });

  it("sends nosniff, a referrer policy, HSTS on https and no-store on pages", async () => {
    const response = await get("/");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Referrer-Policy")).toBe("strict-origin-when-cross-origin");
    const hsts = response.headers.get("Strict-Transport-Security")!;
    expect(Number(hsts.match(/max-age=(\d+)/)?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(hsts).toContain("includeSubDomains");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends no HSTS over plain http", async () => {
    const response = await SELF_URL_HOST("http://localhost/");
    expect(response.status).toBe(200);
    expect(response.headers.get("Strict-Transport-Security")).toBeNull();
  });

  it("puts the security headers on Worker-level error pages too", async () => {
    const response = await post("/login", { email: "a@example.com" }, { origin: "https://evil.example" });
    expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });
});

describe("pages that don't exist", () => {
  it("answers an unknown path with a real 404 page", async () => {
    const response = await get("/no/such/page");
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain("Page not found");
    expect(html).toContain('href="/"');
    expect(response.headers.get("Content-Type")).toMatch(/text\/html/);
  });

  it("answers a POST to a page without an action with a 405 page, not a crash", async () => {
    const response = await post("/dashboard", { anything: "1" });
    expect(response.status).toBe(405);
    noStackTrace(await response.text());
  });
});
