import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { appCookie } from "~/lib/cookies.server";
import { generateToken } from "~/lib/crypto.server";
import { count, signIn } from "../helpers/app";
import { testConfig } from "../helpers/deps";
import {
  forgetGoogleKeys,
  getWithGoogle,
  openOneTapPage,
  postOneTap,
  setCookieNamed,
  signInWithOneTap,
} from "../helpers/google";
import { GOOGLE_ENV, interceptGoogle, signIdToken, testKeys, type FakeGoogleUser } from "../mocks/google";

const grace: FakeGoogleUser = { sub: "108000000000000000077", email: "grace@navy.example", name: "Grace Hopper", hd: "navy.example" };

const events = (type: string) =>
  env.DB.prepare("SELECT * FROM auth_events WHERE type = ? ORDER BY id").bind(type).all<{ detail: string | null; user_id: string | null }>().then((r) => r.results);
const sessionRows = () => env.DB.prepare("SELECT user_id, method FROM sessions").all<{ user_id: string; method: string }>().then((r) => r.results);
const textOf = async (response: Response) => (await response.text()).replaceAll("&#x27;", "'").replaceAll("&#39;", "'");

beforeEach(() => forgetGoogleKeys());

describe("POST /auth/google/one-tap", () => {
  it("signs a new person in with the credential One Tap handed the page, and ends the nonce and the double-submit cookie", async () => {
    const google = interceptGoogle(grace);
    const { response } = await signInWithOneTap(grace, { redirectTo: "/account" });

    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/account");
    expect(setCookieNamed(response, "__Host-latchkey_session")).toMatch(/HttpOnly/);
    expect(setCookieNamed(response, "__Host-latchkey_google_nonce")).toMatch(/Max-Age=0/);
    expect(setCookieNamed(response, "g_csrf_token")).toMatch(/Max-Age=0/);
    // Only the keys were fetched: One Tap needs no token endpoint.
    expect(google.requests.map((r) => r.url)).toEqual(["https://www.googleapis.com/oauth2/v3/certs"]);

    const identity = await env.DB.prepare("SELECT provider, provider_user_id, email, hosted_domain FROM identities").first();
    expect(identity).toEqual({ provider: "google", provider_user_id: grace.sub, email: "grace@navy.example", hosted_domain: "navy.example" });
    expect((await sessionRows()).map((s) => s.method)).toEqual(["google"]);
    expect(await count("spent_nonces")).toBe(1);
  });

  it("links an existing account by its verified email, as the redirect flow does", async () => {
    await signIn("grace@navy.example");
    interceptGoogle(grace);
    const { response } = await signInWithOneTap(grace);
    expect(response.status).toBe(303);
    expect(await count("users")).toBe(1);
    expect(await events("google_linked")).toEqual([expect.objectContaining({ detail: "navy.example" })]);
  });

  it.each<[string, { csrfField?: string | null; csrfCookie?: string | null }]>([
    ["a g_csrf_token field that doesn't match its cookie", { csrfField: "csrf-token-from-somewhere-else-0000000000" }],
    ["no g_csrf_token cookie", { csrfCookie: null }],
    ["no g_csrf_token field", { csrfField: null }],
  ])("refuses %s, before looking at the credential", async (_, csrf) => {
    const google = interceptGoogle(grace);
    const page = await openOneTapPage();
    const credential = await signIdToken(grace, { nonce: page.nonce });
    const response = await postOneTap(credential, { cookie: page.cookie, ...csrf });

    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("This Google sign-in couldn't be confirmed");
    expect(google.requests).toHaveLength(0);
    expect(await count("sessions")).toBe(0);
    expect(await events("google_refused")).toEqual([expect.objectContaining({ detail: "csrf-mismatch" })]);
  });

  it("is refused when another site posts it (the same-origin check covers this path too)", async () => {
    const google = interceptGoogle(grace);
    const page = await openOneTapPage();
    const credential = await signIdToken(grace, { nonce: page.nonce });
    for (const origin of ["https://accounts.google.com", "https://evil.example", null]) {
      const response = await postOneTap(credential, { cookie: page.cookie, origin });
      expect(response.status).toBe(403);
    }
    expect(google.requests).toHaveLength(0);
    expect(await count("sessions")).toBe(0);
  });

  it("refuses a credential whose nonce isn't the one this browser was given", async () => {
    interceptGoogle(grace);
    const page = await openOneTapPage();
    const credential = await signIdToken(grace, { nonce: generateToken(32) });
    const response = await postOneTap(credential, { cookie: page.cookie });
    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("We couldn't verify this Google sign-in");
    expect(await count("sessions")).toBe(0);
    expect(await count("spent_nonces")).toBe(0);
  });

  it("refuses a credential from a browser that was never given a nonce", async () => {
    interceptGoogle(grace);
    const credential = await signIdToken(grace, { nonce: generateToken(32) });
    const response = await postOneTap(credential, { cookie: "" });
    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("This Google sign-in is invalid or expired");
    expect(await events("google_refused")).toEqual([expect.objectContaining({ detail: "invalid-state: no nonce" })]);
  });

  it("refuses a nonce issued more than 10 minutes ago", async () => {
    interceptGoogle(grace);
    const nonce = generateToken(32);
    const cookie = appCookie(testConfig(GOOGLE_ENV), "latchkey_google_nonce", 600);
    const stale = (await cookie.serialize(`${nonce}.${Date.now() - 10 * 60 * 1000 - 1000}`)).split(";")[0]!;
    const response = await postOneTap(await signIdToken(grace, { nonce }), { cookie: stale });
    expect(response.status).toBe(400);
    expect(await count("sessions")).toBe(0);
  });

  it("accepts a credential once: the same one posted again is refused", async () => {
    interceptGoogle(grace);
    const { page, credential, response } = await signInWithOneTap(grace);
    expect(response.status).toBe(303);
    const replay = await postOneTap(credential, { cookie: page.cookie });
    expect(replay.status).toBe(400);
    expect(await events("google_refused")).toEqual([expect.objectContaining({ detail: "invalid-token: nonce already used" })]);
    expect(await count("sessions")).toBe(1);
  });

  it("starts exactly one session when one credential is posted ten times in parallel", async () => {
    interceptGoogle(grace);
    const page = await openOneTapPage();
    const credential = await signIdToken(grace, { nonce: page.nonce });
    const responses = await Promise.all(Array.from({ length: 10 }, () => postOneTap(credential, { cookie: page.cookie })));
    expect(responses.map((r) => r.status).sort()).toEqual([303, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    expect(await count("sessions")).toBe(1);
  });

  it.each([
    ["forged", async () => ({ key: (await testKeys()).stranger })],
    ["expired", async () => ({ issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresAt: Math.floor(Date.now() / 1000) - 3600 })],
    ["for another audience", async () => ({ audience: "someone-else.apps.googleusercontent.com" })],
    ["from another issuer", async () => ({ issuer: "https://accounts.evil.example" })],
    ["with an unknown kid", async () => ({ key: (await testKeys()).next })],
  ])("refuses a %s credential and leaves its nonce unspent", async (_, forge) => {
    interceptGoogle(grace);
    const { response } = await signInWithOneTap(grace, { tokenOptions: await forge() });
    expect(response.status).toBe(400);
    expect(await count("sessions")).toBe(0);
    expect(await count("spent_nonces")).toBe(0);
  });

  it("refuses a credential for an unverified Google email", async () => {
    interceptGoogle(grace);
    const { response } = await signInWithOneTap({ ...grace, email_verified: false });
    expect(response.status).toBe(403);
    expect(await count("users")).toBe(0);
  });

  it("answers 502 when Google's keys can't be fetched", async () => {
    interceptGoogle(grace, { jwks: () => new Response("down", { status: 500 }) });
    const { response } = await signInWithOneTap(grace);
    expect(response.status).toBe(502);
    expect(await textOf(response)).toContain("Google isn't responding");
  });

  it("changes nothing on a GET and points to the sign-in page", async () => {
    const response = await getWithGoogle("/auth/google/one-tap");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('href="/login"');
  });
});
