/**
 * What the OAuth libraries throw, pinned. `completeGitHubSignIn` and `completeGoogleSignIn` turn
 * failures into pages by the class (and OAuth error code) of what remix-auth 4.2.0, remix-auth-github
 * 3.0.2 and arctic 3.7.0 throw. If an upgrade changes one of these, this file says which, instead of a
 * sign-in failure quietly becoming a 500 (test/integration/oauth-failure-mapping.test.ts pins the pages).
 */
import { OAuth2RequestError } from "arctic";
import { describe, expect, it } from "vitest";
import { createGitHubAuthenticator, GitHubUnavailableError } from "~/auth/github/oauth.server";
import { GoogleUnavailableError } from "~/auth/google/id-token.server";
import { exchangeGoogleCode } from "~/auth/google/oauth.server";
import type { GitHubConfig, GoogleConfig } from "~/lib/env.server";
import { cookiesFrom } from "../helpers/github";
import { testConfig } from "../helpers/deps";
import { GITHUB_ENV, interceptGitHub, json, unreachable, type FakeGitHubUser } from "../mocks/github";
import { GOOGLE_ENV, interceptGoogle } from "../mocks/google";

const octo: FakeGitHubUser = { id: 4242, login: "octo", emails: [{ email: "octo@example.com", primary: true, verified: true }] };
const config = testConfig(GITHUB_ENV) as ReturnType<typeof testConfig> & { github: GitHubConfig };
const CALLBACK = "https://latchkey.test/auth/github/callback";

/** The error (or Response) `work` rejects with; fails the test if it resolves. */
async function thrownBy(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    (value) => expect.fail(`expected a throw, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

/** Starts a GitHub sign-in as the strategy does: its redirect, and the state cookie it sets. */
async function startGitHub() {
  const redirect = await thrownBy(createGitHubAuthenticator(config).authenticate("github", new Request("https://latchkey.test/auth/github")));
  if (!(redirect instanceof Response)) throw redirect;
  const state = new URL(redirect.headers.get("Location")!).searchParams.get("state")!;
  return { redirect, state, cookie: cookiesFrom(redirect) };
}

function callback(params: Record<string, string>, cookie?: string) {
  return new Request(`${CALLBACK}?${new URLSearchParams(params)}`, { headers: cookie ? { Cookie: cookie } : {} });
}

const authenticate = (request: Request) => createGitHubAuthenticator(config).authenticate("github", request);

describe("remix-auth-github (through our configurable client)", () => {
  it("starts a sign-in by throwing a 302 Response to the authorize URL that sets the state cookie", async () => {
    const { redirect, state, cookie } = await startGitHub();
    expect(redirect.status).toBe(302);
    expect(state).toBeTruthy();
    expect(cookie).toContain("latchkey_github=");
  });

  it("throws OAuth2RequestError with GitHub's code for an error in the callback URL", async () => {
    const error = await thrownBy(authenticate(callback({ error: "access_denied", state: "s" })));
    expect(error).toBeInstanceOf(OAuth2RequestError);
    expect((error as OAuth2RequestError).code).toBe("access_denied");
  });

  it("throws ReferenceError for a callback without a code", async () => {
    const { state, cookie } = await startGitHub();
    expect(await thrownBy(authenticate(callback({ state }, cookie)))).toBeInstanceOf(ReferenceError);
  });

  it("throws ReferenceError for a callback without the state cookie", async () => {
    const { state } = await startGitHub();
    expect(await thrownBy(authenticate(callback({ state, code: "c" })))).toBeInstanceOf(ReferenceError);
  });

  it("throws RangeError for a state that isn't the cookie's", async () => {
    const { cookie } = await startGitHub();
    expect(await thrownBy(authenticate(callback({ state: "forged", code: "c" }, cookie)))).toBeInstanceOf(RangeError);
  });

  it.each([
    ["GitHub's 200 with an error field", () => json({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." }), "bad_verification_code"],
    ["OAuth's 400 with an error field", () => json({ error: "invalid_grant" }, 400), "invalid_grant"],
    ["OAuth's 401 for our client", () => json({ error: "invalid_client" }, 401), "invalid_client"],
  ])("throws OAuth2RequestError with the code when the token endpoint refuses (%s)", async (_, token, code) => {
    interceptGitHub(octo, { token });
    const { state, cookie } = await startGitHub();
    const error = await thrownBy(authenticate(callback({ state, code: "c" }, cookie)));
    expect(error).toBeInstanceOf(OAuth2RequestError);
    expect((error as OAuth2RequestError).code).toBe(code);
  });

  it.each([
    ["answers 500", { token: () => new Response("oops", { status: 500 }) }],
    ["answers 400 with HTML", { token: () => new Response("<html>", { status: 400 }) }],
    ["answers 400 JSON without an error", { token: () => json({ message: "no" }, 400) }],
    ["can't be reached", { token: unreachable }],
    ["answers without an access token", { token: () => json({ token_type: "bearer" }) }],
    ["is fine but the API answers 401", { api: () => json({ message: "Bad credentials" }, 401) }],
    ["is fine but the API can't be reached", { api: unreachable }],
  ])("throws GitHubUnavailableError when the token endpoint %s", async (_, replies) => {
    interceptGitHub(octo, replies);
    const { state, cookie } = await startGitHub();
    expect(await thrownBy(authenticate(callback({ state, code: "c" }, cookie)))).toBeInstanceOf(GitHubUnavailableError);
  });

  it("returns the profile from our verify function when everything answers", async () => {
    interceptGitHub(octo);
    const { state, cookie } = await startGitHub();
    await expect(authenticate(callback({ state, code: "c" }, cookie))).resolves.toMatchObject({ id: "4242", verifiedEmail: "octo@example.com" });
  });
});

describe("arctic's OAuth2Client (Google's code exchange)", () => {
  const google = testConfig(GOOGLE_ENV).google as GoogleConfig;
  const exchange = () => exchangeGoogleCode(google, { code: "4/c", state: "s", secret: "x".repeat(32), timeoutMs: 5000 });
  const user = { sub: "1", email: "ada@example.com" };

  it.each([
    ["a used or expired code", () => json({ error: "invalid_grant" }, 400), "invalid_grant"],
    ["our client", () => json({ error: "invalid_client" }, 401), "invalid_client"],
  ])("throws OAuth2RequestError with the code when Google refuses %s", async (_, token, code) => {
    interceptGoogle(user, { token });
    const error = await thrownBy(exchange());
    expect(error).toBeInstanceOf(OAuth2RequestError);
    expect((error as OAuth2RequestError).code).toBe(code);
  });

  it.each([
    ["answers 500", () => new Response("oops", { status: 500 })],
    ["answers 400 with HTML", () => new Response("<html>", { status: 400 })],
    ["can't be reached", unreachable],
    ["answers without an ID token", () => json({ access_token: "a", token_type: "Bearer" })],
  ])("throws GoogleUnavailableError when the token endpoint %s", async (_, token) => {
    interceptGoogle(user, { token });
    expect(await thrownBy(exchange())).toBeInstanceOf(GoogleUnavailableError);
  });
});
