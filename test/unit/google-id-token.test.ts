import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  CLOCK_SKEW_SECONDS,
  JWKS_MAX_AGE_MS,
  JWKS_REFETCH_COOLDOWN_MS,
  forgetGoogleKeys,
  verifyGoogleIdToken,
} from "~/auth/google/id-token.server";
import { testClock, testConfig } from "../helpers/deps";
import { GOOGLE_ENV, interceptGoogle, signIdToken, testKeys, type FakeGoogleUser } from "../mocks/google";

const google = testConfig(GOOGLE_ENV).google!;
const person: FakeGoogleUser = { sub: "1080000000000000000999", email: "kat@example.com", name: "Katherine Johnson" };
const NONCE = "nonce-for-the-unit-tests-0123456789abcdefghi";
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

beforeEach(() => forgetGoogleKeys());

describe("verifyGoogleIdToken", () => {
  it("returns the claims of a good token, with the email's verified flag and the Workspace domain", async () => {
    interceptGoogle(person);
    const clock = testClock();
    const token = await signIdToken({ ...person, hd: "nasa.example" }, { nonce: NONCE, issuedAt: seconds(clock.now()) });
    const result = await verifyGoogleIdToken({ google, now: clock.now }, token, { nonce: NONCE });
    expect(result).toEqual({
      ok: true,
      claims: { sub: person.sub, email: "kat@example.com", emailVerified: true, name: "Katherine Johnson", picture: null, hostedDomain: "nasa.example" },
    });
  });

  it("accepts either spelling of Google's issuer", async () => {
    interceptGoogle(person);
    const clock = testClock();
    const token = await signIdToken(person, { nonce: NONCE, issuedAt: seconds(clock.now()), issuer: "accounts.google.com" });
    expect((await verifyGoogleIdToken({ google, now: clock.now }, token, { nonce: NONCE })).ok).toBe(true);
  });

  it("allows a minute of clock skew on exp and iat, and no more", async () => {
    interceptGoogle(person);
    const clock = testClock();
    const iat = seconds(clock.now());
    const token = await signIdToken(person, { nonce: NONCE, issuedAt: iat, expiresAt: iat + 300 });
    const at = (offsetSeconds: number) => () => new Date((iat + offsetSeconds) * 1000);

    expect((await verifyGoogleIdToken({ google, now: at(300 + CLOCK_SKEW_SECONDS - 1) }, token, { nonce: NONCE })).ok).toBe(true);
    expect(await verifyGoogleIdToken({ google, now: at(300 + CLOCK_SKEW_SECONDS + 1) }, token, { nonce: NONCE })).toMatchObject({ ok: false, why: "expired" });
    // Issued "in the future" by a clock running ahead: fine within the skew, refused beyond it.
    expect((await verifyGoogleIdToken({ google, now: at(-(CLOCK_SKEW_SECONDS - 1)) }, token, { nonce: NONCE })).ok).toBe(true);
    expect(await verifyGoogleIdToken({ google, now: at(-(CLOCK_SKEW_SECONDS + 1)) }, token, { nonce: NONCE })).toMatchObject({ ok: false, reason: "invalid-token" });
  });

  it("refuses a token issued more than ten minutes ago even if it hasn't expired", async () => {
    interceptGoogle(person);
    const clock = testClock();
    const token = await signIdToken(person, { nonce: NONCE, issuedAt: seconds(clock.now()) });
    clock.advance(10 * 60 * 1000 + (CLOCK_SKEW_SECONDS + 1) * 1000);
    expect(await verifyGoogleIdToken({ google, now: clock.now }, token, { nonce: NONCE })).toMatchObject({ ok: false, reason: "invalid-token" });
  });

  it.each(["not-a-jwt", "a.b.c", `${"x".repeat(9000)}.y.z`, "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."])("refuses the malformed token %#", async (token) => {
    const mock = interceptGoogle(person);
    const result = await verifyGoogleIdToken({ google, now: testClock().now }, token, { nonce: NONCE });
    expect(result).toMatchObject({ ok: false, reason: "invalid-token" });
    expect(mock.requests.length).toBeLessThanOrEqual(1);
  });

  it("refuses an unsigned (alg none) or HMAC-signed token", async () => {
    interceptGoogle(person);
    const clock = testClock();
    const good = await signIdToken(person, { nonce: NONCE, issuedAt: seconds(clock.now()) });
    const [, payload] = good.split(".");
    const header = (alg: string) => btoa(JSON.stringify({ alg, kid: "google-key-1", typ: "JWT" })).replace(/=+$/, "");
    expect(await verifyGoogleIdToken({ google, now: clock.now }, `${header("none")}.${payload}.`, { nonce: NONCE })).toMatchObject({ ok: false });
    expect(await verifyGoogleIdToken({ google, now: clock.now }, `${header("HS256")}.${payload}.c2ln`, { nonce: NONCE })).toMatchObject({ ok: false });
  });

  it("follows a key rotation: a token under a new kid makes it fetch the keys again once the cool-down has passed", async () => {
    const keys = await testKeys();
    const mock = interceptGoogle(person);
    mock.state.keys = [keys.current.jwk];
    const clock = testClock();
    const old = await signIdToken(person, { nonce: NONCE, issuedAt: seconds(clock.now()) });
    expect((await verifyGoogleIdToken({ google, now: clock.now }, old, { nonce: NONCE })).ok).toBe(true);

    // Google starts signing with its next key and publishes both.
    mock.state.keys = [keys.current.jwk, keys.next.jwk];
    clock.advance(5_000);
    const rotatedEarly = await signIdToken(person, { key: keys.next, nonce: NONCE, issuedAt: seconds(clock.now()) });
    expect(await verifyGoogleIdToken({ google, now: clock.now }, rotatedEarly, { nonce: NONCE })).toMatchObject({ ok: false, why: "unknown key" });
    expect(mock.jwksRequests()).toHaveLength(1);

    clock.advance(JWKS_REFETCH_COOLDOWN_MS);
    const rotated = await signIdToken(person, { key: keys.next, nonce: NONCE, issuedAt: seconds(clock.now()) });
    expect((await verifyGoogleIdToken({ google, now: clock.now }, rotated, { nonce: NONCE })).ok).toBe(true);
    expect(mock.jwksRequests()).toHaveLength(2);
    // The old key still works while Google still publishes it; nothing is fetched for it.
    expect((await verifyGoogleIdToken({ google, now: clock.now }, await signIdToken(person, { nonce: NONCE, issuedAt: seconds(clock.now()) }), { nonce: NONCE })).ok).toBe(true);
    expect(mock.jwksRequests()).toHaveLength(2);
  });

  it("refetches the keys when the cached set is an hour old, and drops a key Google withdrew", async () => {
    const keys = await testKeys();
    const mock = interceptGoogle(person);
    const clock = testClock();
    const token = () => signIdToken(person, { nonce: NONCE, issuedAt: seconds(clock.now()) });
    expect((await verifyGoogleIdToken({ google, now: clock.now }, await token(), { nonce: NONCE })).ok).toBe(true);

    mock.state.keys = [keys.next.jwk];
    clock.advance(JWKS_MAX_AGE_MS);
    expect(await verifyGoogleIdToken({ google, now: clock.now }, await token(), { nonce: NONCE })).toMatchObject({ ok: false, why: "unknown key" });
    expect(mock.jwksRequests()).toHaveLength(2);
  });

  it("gives the key endpoint 5 seconds", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      interceptGoogle(person, { jwks: (request) => new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason))) });
      const clock = testClock();
      const pending = verifyGoogleIdToken({ google, now: clock.now }, await signIdToken(person, { nonce: NONCE, issuedAt: seconds(clock.now()) }), { nonce: NONCE });
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await pending).toEqual({ ok: false, reason: "unavailable", why: "timeout" });
    } finally {
      vi.useRealTimers();
    }
  });
});
