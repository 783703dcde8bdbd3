import { describe, expect, it } from "vitest";
import { fetchWithEnv, get, signIn, url } from "../helpers/app";

describe("GET /api/session", () => {
  it("answers 401 JSON when signed out", async () => {
    const response = await get("/api/session");
    expect(response.status).toBe(401);
    expect(response.headers.get("Content-Type")).toMatch(/application\/json/);
    expect(await response.json()).toMatchObject({ error: "unauthenticated" });
  });

  it("answers the user and session when signed in", async () => {
    const cookie = await signIn("ada@example.com");
    const response = await get("/api/session", { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as {
      user: { id: string; email: string };
      session: { expiresAt: string; createdAt: string; idleExpiresAt: string };
    };
    expect(body.user).toEqual({ id: expect.stringMatching(/^usr_/), email: "ada@example.com" });
    const expiresIn = Date.parse(body.session.expiresAt) - Date.parse(body.session.createdAt);
    expect(expiresIn).toBe(30 * 24 * 60 * 60 * 1000);
    const idleIn = Date.parse(body.session.idleExpiresAt) - Date.parse(body.session.createdAt);
    expect(idleIn).toBe(7 * 24 * 60 * 60 * 1000);
  });

  it("answers unknown API paths with 404 JSON, not an HTML page", async () => {
    const response = await get("/api/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not_found" });
  });
});

describe("D1 round trips per request", () => {
  const counted = async (path: string, cookie?: string) => {
    const response = await fetchWithEnv(
      new Request(url(path), { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" }),
      { BENCH_COUNT_QUERIES: "true" },
    );
    await response.arrayBuffer();
    return Number(response.headers.get("X-D1-Queries"));
  };

  it("is one for a signed-in page view (session, user and linked GitHub account in one query) and the session API, zero for anonymous pages", async () => {
    const cookie = await signIn("ada@example.com");
    expect(await counted("/dashboard", cookie)).toBe(1);
    // The account page: the session lookup, then one batch for 2FA status, sessions, linked accounts,
    // passkeys, activity and apps.
    expect(await counted("/account", cookie)).toBe(2);
    expect(await counted("/api/session", cookie)).toBe(1);
    expect(await counted("/")).toBe(0);
    expect(await counted("/login")).toBe(0);
  });

  it("is not reported unless the bench asks for it", async () => {
    const response = await get("/login");
    expect(response.headers.get("X-D1-Queries")).toBeNull();
  });
});
