/**
 * Load, faults and bad input: whatever happens, the answer is never a 5xx by accident, and nothing is
 * left half-written.
 */
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import {
  codeIn,
  count,
  fetchWithEnv,
  get,
  lastMailTo,
  ORIGIN,
  post,
  requestLink,
  SELF_URL_HOST,
  sentStateIn,
  signIn,
  url,
  wrongCodeFor,
} from "../helpers/app";
import { singleFetchData } from "../helpers/page-data";
import { expectConsoleErrors } from "../setup";

const fromIp = (i: number) => ({ headers: { "CF-Connecting-IP": `198.51.100.${i % 250}` } });

function formRequest(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return new Request(url(path), {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, Host: "latchkey.test", ...headers },
    body: new URLSearchParams(form),
  });
}

/**
 * The real local D1, except that statements matching `failWhen` (or every batch) throw like an outage:
 * when prepared, or (`whenRun`) only when run, as a lost connection does; also through the D1 sessions
 * the Worker opens per request (read replication, decision 014).
 */
function failingD1({ failWhen, failBatches = false, whenRun = false }: { failWhen?: RegExp; failBatches?: boolean; whenRun?: boolean }): D1Database {
  const outage = () => {
    throw new Error("D1_ERROR: Network connection lost.");
  };
  const failingWhenRun = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => failingWhenRun(target.bind(...values));
        if (["all", "first", "run", "raw"].includes(String(property))) return async () => outage();
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const failing = <T extends D1Database | D1DatabaseSession>(d1: T): T =>
    new Proxy(d1, {
      get(target, property) {
        if (property === "prepare") {
          return (sql: string) => (!failWhen?.test(sql) ? target.prepare(sql) : whenRun ? failingWhenRun(target.prepare(sql)) : outage());
        }
        if (property === "batch" && failBatches) return async () => outage();
        if (property === "withSession") return (start?: string) => failing((target as D1Database).withSession(start));
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return failing(env.DB);
}

async function assertNothingHalfWritten() {
  // A consumed token always has its session, and every session belongs to a user.
  const orphanTokens = await env.DB.prepare(
    "SELECT count(*) AS n FROM verification_tokens WHERE consumed_at IS NOT NULL AND session_id NOT IN (SELECT id FROM sessions)",
  ).first<{ n: number }>();
  expect(orphanTokens!.n).toBe(0);
  const usersWithoutSessions = await env.DB.prepare(
    "SELECT count(*) AS n FROM users WHERE id NOT IN (SELECT user_id FROM sessions)",
  ).first<{ n: number }>();
  expect(usersWithoutSessions!.n).toBe(0);
}

describe("under load", () => {
  it("creates exactly one session from 50 parallel redemptions of one link", async () => {
    const token = await requestLink("ada@example.com");
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => post("/auth/verify", { token }, fromIp(i))));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s >= 500)).toHaveLength(0);
    expect(await count("sessions")).toBe(1);
    await assertNothingHalfWritten();
  });

  it("answers 500 mixed requests across every flow without a single 5xx", { timeout: 60_000 }, async () => {
    const cookie = await signIn("steady@example.com");
    const token = await requestLink("racer@example.com");
    const code = codeIn(await lastMailTo("racer@example.com"));
    const flows: ((i: number) => Promise<Response>)[] = [
      () => get("/"),
      () => get("/login?redirectTo=%2Fdashboard"),
      () => get("/healthz"),
      () => get("/api/session", { headers: { Cookie: cookie } }),
      () => get("/dashboard", { headers: { Cookie: cookie } }),
      (i) => post("/login", { email: `user${i % 40}@example.com` }, fromIp(i)),
      (i) => post("/auth/verify", { token }, fromIp(i)),
      (i) => get(`/auth/verify?token=${token}`, fromIp(i)),
      (i) => post("/auth/code", { email: "racer@example.com", code: i % 7 ? wrongCodeFor(code) : code }, fromIp(i)),
      (i) => post("/auth/code", { email: `user${i % 40}@example.com`, code: "123456" }, fromIp(i)),
      () => get("/no/such/page"),
    ];
    const responses: Response[] = [];
    for (let batch = 0; batch < 10; batch++) {
      responses.push(
        ...(await Promise.all(Array.from({ length: 50 }, (_, j) => flows[(batch * 50 + j) % flows.length]!(batch * 50 + j)))),
      );
    }
    expect(responses).toHaveLength(500);
    const serverErrors = responses.filter((r) => r.status >= 500).map((r) => r.status);
    expect(serverErrors).toEqual([]);
    await assertNothingHalfWritten();
  });
});

describe("when D1 fails", () => {
  it("answers a client-side navigation (/<route>.data) with a 503 the page shows as its error, without details", async () => {
    expectConsoleErrors();
    const cookie = await signIn("ada@example.com");
    const response = await fetchWithEnv(new Request(url("/dashboard.data"), { headers: { Cookie: cookie } }), {
      DB: failingD1({ failWhen: /./, failBatches: true }),
    });
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(body).not.toContain("D1_ERROR");
    expect(body).not.toMatch(/\bat .+:\d+:\d+/);
    // The page shows the highest route's error in the root boundary, as a document request would.
    const routes = (await singleFetchData(new Response(body))) as Record<string, { error?: { type: string; values: unknown[] } }>;
    expect(routes.root?.error).toEqual({ type: "ErrorResponse", values: [expect.any(String), 503, "Service Unavailable"] });
  });

  it.each([
    ["as a statement is prepared", false],
    ["as a statement runs (drizzle wraps the error)", true],
  ])("answers pages with a 503 that says to try again, and the API with 503 JSON, when D1 fails %s", async (_, whenRun) => {
    expectConsoleErrors();
    const cookie = await signIn("ada@example.com");
    const down = { DB: failingD1({ failWhen: /./, failBatches: true, whenRun }) };

    const page = await fetchWithEnv(new Request(url("/dashboard"), { headers: { Cookie: cookie } }), down);
    expect(page.status).toBe(503);
    const html = await page.text();
    expect(html).toContain("Latchkey can&#x27;t reach its database right now.");
    expect(html).not.toContain("D1_ERROR");
    expect(html).not.toMatch(/\bat .+:\d+:\d+/);

    const form = await fetchWithEnv(formRequest("/login", { email: "bob@example.com" }), down);
    expect(form.status).toBe(503);

    const api = await fetchWithEnv(new Request(url("/api/session"), { headers: { Cookie: cookie } }), down);
    expect(api.status).toBe(503);
    expect(await api.json()).toMatchObject({ error: "unavailable" });

    const passkey = await fetchWithEnv(
      new Request(url("/auth/passkey/options"), { method: "POST", headers: { Origin: ORIGIN, "Content-Type": "application/json" }, body: "{}" }),
      down,
    );
    expect(passkey.status).toBe(503);
    expect(await passkey.json()).toMatchObject({ error: "unavailable" });

    const token = await fetchWithEnv(
      formRequest("/oauth/token", { grant_type: "authorization_code", code: "x", client_id: "some-app", code_verifier: "v".repeat(43), redirect_uri: "https://app.example/cb" }),
      down,
    );
    expect(token.status).toBe(503);
    expect(await token.json()).toMatchObject({ error: "temporarily_unavailable" });

    const health = await fetchWithEnv(new Request(url("/healthz")), down);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "error", db: "unreachable" });
  });

  it("answers every signed-in page with the same 503 page, though the root and the page both ask who is signed in", async () => {
    expectConsoleErrors();
    const cookie = await signIn("ada@example.com");
    const down = { DB: failingD1({ failWhen: /./, failBatches: true, whenRun: true }) };
    for (const path of ["/", "/dashboard", "/account", "/account/2fa", "/account/recovery-codes", "/account/delete", "/account/confirm?next=%2Faccount"]) {
      const page = await fetchWithEnv(new Request(url(path), { headers: { Cookie: cookie } }), down);
      expect([path, page.status]).toEqual([path, 503]);
      expect(await page.text()).toContain("Latchkey can&#x27;t reach its database right now.");
    }
  });

  it("leaves the link unused, and no user or session, when the sign-in transaction fails", async () => {
    expectConsoleErrors();
    const token = await requestLink("ada@example.com");
    const response = await fetchWithEnv(formRequest("/auth/verify", { token }), { DB: failingD1({ failBatches: true }) });
    expect(response.status).toBe(503);
    expect(await count("users")).toBe(0);
    expect(await count("sessions")).toBe(0);
    const row = await env.DB.prepare("SELECT consumed_at FROM verification_tokens").first();
    expect(row).toEqual({ consumed_at: null });
    // Once D1 is back, the same link works.
    expect((await post("/auth/verify", { token })).status).toBe(303);
    await assertNothingHalfWritten();
  });

  it("sends no email when the token can't be stored", async () => {
    expectConsoleErrors();
    const response = await fetchWithEnv(formRequest("/login", { email: "ada@example.com" }), {
      DB: failingD1({ failWhen: /INSERT INTO "?verification_tokens/ }),
    });
    expect(response.status).toBe(503);
    expect(await count("outbox_messages")).toBe(0);
  });
});

describe("when KV fails", () => {
  const brokenKv = {
    get: async () => {
      throw new Error("KV GET failed: 503");
    },
    put: async () => {
      throw new Error("KV PUT failed: 503");
    },
  };

  it("still signs people in, with sends bounded by the per-email D1 limit", async () => {
    const first = await fetchWithEnv(formRequest("/login", { email: "ada@example.com" }), { RATE_LIMITS: brokenKv });
    expect(first.status).toBe(303);
    expect(sentStateIn(first).justSent).toBe(false);
    // Within the 30-second spacing (kept in D1): the page for the email already sent, and no second email.
    const second = await fetchWithEnv(formRequest("/login", { email: "ada@example.com" }), { RATE_LIMITS: brokenKv });
    expect(second.status).toBe(303);
    expect(sentStateIn(second).justSent).toBe(true);
    expect(await count("outbox_messages")).toBe(1);
  });

  it("still caps code guesses at 5 in D1", async () => {
    await fetchWithEnv(formRequest("/login", { email: "ada@example.com" }), { RATE_LIMITS: brokenKv });
    const code = codeIn(await lastMailTo("ada@example.com"));
    for (let i = 0; i < 8; i++) {
      await fetchWithEnv(formRequest("/auth/code", { email: "ada@example.com", code: wrongCodeFor(code) }), { RATE_LIMITS: brokenKv });
    }
    const row = await env.DB.prepare("SELECT attempts FROM verification_tokens").first<{ attempts: number }>();
    expect(row!.attempts).toBe(5);
  });
});

describe("bad input, table-driven", () => {
  const values: [string, string][] = [
    ["empty", ""],
    ["spaces", "   "],
    ["very long", "x".repeat(4000)],
    ["unicode", "ünïcødé@例え.テスト"],
    ["emoji", "🔑🔑🔑@example.com"],
    ["NUL", "a\u0000b"],
    ["CR/LF", "a\r\nBcc: x@example.com"],
    ["RTL override", "\u202eexample.com@ada"],
    ["HTML", "<script>alert(1)</script>"],
    ["percent-encoding", "%00%0d%0a%2F%2F"],
    ["path tricks", "/\\/evil.example/../.."],
    ["JSON-ish", '{"$gt":""}'],
    ["number", "123456789012345678901234567890"],
  ];
  const forms: [string, string[]][] = [
    ["/login", ["email", "redirectTo"]],
    ["/auth/verify", ["token"]],
    ["/auth/code", ["email", "code"]],
    ["/logout", ["anything"]],
  ];
  const queries = ["/login?redirectTo=", "/auth/verify?token=", "/auth/code?email=", "/dev/mailbox?x="];

  const cases: { name: string; request: () => Promise<Response> }[] = [];
  for (const [path, fields] of forms) {
    for (const field of fields) {
      for (const [label, value] of values) {
        cases.push({ name: `POST ${path} ${field}=${label}`, request: () => post(path, { [field]: value }) });
      }
    }
    cases.push({ name: `POST ${path} duplicated fields`, request: () =>
      SELF_URL_HOST(url(path), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN },
        body: fields.map((f) => `${f}=a&${f}=b`).join("&"),
      }) });
    for (const type of ["application/json", "text/plain", "application/xml", "multipart/form-data; boundary=x"]) {
      cases.push({ name: `POST ${path} as ${type}`, request: () =>
        SELF_URL_HOST(url(path), { method: "POST", headers: { "Content-Type": type, Origin: ORIGIN }, body: '{"email":"a"}' }) });
    }
    cases.push({ name: `POST ${path} oversized`, request: () => post(path, { [fields[0]!]: "x".repeat(40_000) }) });
  }
  for (const query of queries) {
    for (const [label, value] of values) {
      cases.push({ name: `GET ${query}${label}`, request: () => get(query + encodeURIComponent(value)) });
    }
  }

  it(`answers all ${cases.length} bad-input cases with a non-5xx status and no stack trace`, { timeout: 60_000 }, async () => {
    expect(cases.length).toBeGreaterThan(150);
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += 20) {
      await Promise.all(
        cases.slice(i, i + 20).map(async ({ name, request }) => {
          const response = await request();
          const body = await response.text();
          if (response.status >= 500 || /\bat .+:\d+:\d+|node_modules/.test(body)) failures.push(`${name} → ${response.status}`);
        }),
      );
    }
    expect(failures).toEqual([]);
  });
});

describe("what the logs hold (LOG-2)", () => {
  it("never logs the token from a sign-in link's URL, even when the page fails", async () => {
    expectConsoleErrors();
    const token = await requestLink("ada@example.com");
    const logged: unknown[][] = [];
    for (const level of ["error", "warn", "log", "info", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args));
    }
    const down = await fetchWithEnv(new Request(url(`/auth/verify?token=${token}`), { headers: { Host: "latchkey.test" } }), {
      DB: failingD1({ failWhen: /./, failBatches: true }),
    });
    expect(down.status).toBe(503);
    expect(logged.length).toBeGreaterThan(0);
    const text = logged.map((args) => args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(" ")).join("\n");
    expect(text).not.toContain(token);
    expect(text).not.toContain("token=");
  });

  it("answers with an id of its own, never the client's X-Request-Id", async () => {
    const response = await get("/healthz", { headers: { "X-Request-Id": "attacker-chosen-id" } });
    const id = response.headers.get("X-Request-Id");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(id).not.toBe("attacker-chosen-id");
  });
});
