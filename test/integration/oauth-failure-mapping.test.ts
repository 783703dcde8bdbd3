/**
 * Every way a GitHub or Google sign-in can fail, and the page it ends on (OA-4): status, title and
 * sentence, no session, the flow's state cookie ended, the refusal logged. One table per provider, so a
 * library upgrade that throws something new shows up here as a wrong page, not as a 500
 * (test/unit/oauth-library-contract.test.ts pins what the libraries throw).
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { GITHUB_PROBLEMS, GOOGLE_PROBLEMS, type Problem } from "~/auth/messages";
import { count } from "../helpers/app";
import { gitHubCallback, setCookieNamed, startGitHubSignIn } from "../helpers/github";
import { forgetGoogleKeys, googleCallback, startGoogleSignIn } from "../helpers/google";
import { interceptGitHub, json, unreachable, type FakeGitHubUser } from "../mocks/github";
import { interceptGoogle, type FakeGoogleUser, type TokenOptions } from "../mocks/google";
import { expectConsoleErrors } from "../setup";

type Reply = (request: Request) => Response | Promise<Response>;

/** A page's text as a person reads it (React escapes apostrophes). */
const textOf = async (response: Response) => (await response.text()).replaceAll("&#x27;", "'").replaceAll("&#39;", "'");

const refusals = (type: string) =>
  env.DB.prepare("SELECT detail FROM auth_events WHERE type = ?").bind(type).all<{ detail: string }>().then((r) => r.results.map((e) => e.detail));

/** The problem page for `problem`, exactly: its status, title and sentence, and no session. */
async function expectProblemPage(response: Response, problem: Problem, status: number) {
  expect(response.status).toBe(status);
  expect(problem.status, "the page shows the status it answers with").toBe(status);
  const html = await textOf(response);
  expect(html).toContain(`<p class="status-code">${status}</p>`);
  expect(html).toContain(`<h1 id="title">${problem.title}</h1>`);
  expect(html).toContain(`<p role="alert">${problem.message}</p>`);
  expect(html).not.toMatch(/\bat .+:\d+:\d+|node_modules/);
  expect(response.headers.getSetCookie().some((c) => c.startsWith("__Host-latchkey_session="))).toBe(false);
  expect(await count("sessions")).toBe(0);
}

// Each case: what the callback looks like, how the provider answers, and the page it must end on.
type Callback = "complete" | "no state" | "no code" | "no state cookie" | "forged state" | { error: string };

interface GitHubCase {
  callback?: Callback;
  token?: Reply;
  api?: Reply;
  user?: FakeGitHubUser;
  problem: keyof typeof GITHUB_PROBLEMS;
  status: number;
  logsError?: true;
}

const octo: FakeGitHubUser = { id: 4242, login: "octo", emails: [{ email: "octo@example.com", primary: true, verified: true }] };

const GITHUB_FAILURES: Record<string, GitHubCase> = {
  "GitHub sends another error back (redirect_uri_mismatch)": { callback: { error: "redirect_uri_mismatch" }, problem: "provider-error", status: 400 },
  "the callback has no state": { callback: "no state", problem: "invalid-state", status: 400 },
  "the callback has no code": { callback: "no code", problem: "invalid-state", status: 400 },
  "the state cookie is absent (another browser)": { callback: "no state cookie", problem: "invalid-state", status: 400 },
  "the state isn't the cookie's": { callback: "forged state", problem: "invalid-state", status: 400 },
  "GitHub refuses the code its own way (200, bad_verification_code)": {
    token: () => json({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." }),
    problem: "invalid-state",
    status: 400,
  },
  "the token endpoint refuses the code OAuth's way (400, invalid_grant)": { token: () => json({ error: "invalid_grant" }, 400), problem: "invalid-state", status: 400 },
  "GitHub refuses our client secret (incorrect_client_credentials)": {
    token: () => json({ error: "incorrect_client_credentials" }),
    problem: "rejected",
    status: 502,
    logsError: true,
  },
  "the token endpoint refuses our client OAuth's way (401, invalid_client)": { token: () => json({ error: "invalid_client" }, 401), problem: "rejected", status: 502, logsError: true },
  "the token endpoint answers 500": { token: () => new Response("oops", { status: 500 }), problem: "unavailable", status: 502 },
  "the token endpoint answers 400 with HTML": { token: () => new Response("<html>", { status: 400 }), problem: "unavailable", status: 502 },
  "the token endpoint can't be reached": { token: unreachable, problem: "unavailable", status: 502 },
  "the token endpoint answers without an access token": { token: () => json({ token_type: "bearer" }), problem: "unavailable", status: 502 },
  "the API refuses the access token (401)": { api: () => json({ message: "Bad credentials" }, 401), problem: "unavailable", status: 502 },
  "the API can't be reached": { api: unreachable, problem: "unavailable", status: 502 },
  "the account's primary email isn't verified": {
    user: { ...octo, emails: [{ email: "octo@example.com", primary: true, verified: false }] },
    problem: "no-verified-email",
    status: 403,
  },
};

function callbackParams(callback: Callback, state: string): Record<string, string> {
  if (typeof callback === "object") return { error: callback.error, state };
  if (callback === "no state") return { code: "c" };
  if (callback === "no code") return { state };
  if (callback === "forged state") return { code: "c", state: "forged-state-forged-state-forged-state-0000" };
  return { code: "provider-code-1", state };
}

describe("GitHub sign-in failures → pages", () => {
  it.each(Object.entries(GITHUB_FAILURES))("%s", async (_, { callback = "complete", token, api, user = octo, problem, status, logsError }) => {
    if (logsError) expectConsoleErrors();
    interceptGitHub(user, { token, api });
    const start = await startGitHubSignIn();
    const response = await gitHubCallback(callbackParams(callback, start.state), { cookie: callback === "no state cookie" ? undefined : start.cookie });

    await expectProblemPage(response, GITHUB_PROBLEMS[problem], status);
    expect(setCookieNamed(response, "__Host-latchkey_github"), "the state cookie is single use").toMatch(/Max-Age=0/);
    expect(await refusals("github_refused")).toEqual([expect.stringMatching(new RegExp(`^${problem}`))]);
  });

  it("sends a cancelled sign-in (error=access_denied) back to the sign-in page, not to a problem page", async () => {
    const start = await startGitHubSignIn();
    const response = await gitHubCallback({ error: "access_denied", state: start.state }, { cookie: start.cookie });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?github=cancelled");
    expect(await refusals("github_refused")).toEqual(["cancelled"]);
  });
});

interface GoogleCase {
  callback?: Callback;
  token?: Reply;
  jwks?: Reply;
  user?: FakeGoogleUser;
  tokenOptions?: TokenOptions;
  problem: keyof typeof GOOGLE_PROBLEMS;
  status: number;
  logsError?: true;
}

const ada: FakeGoogleUser = { sub: "108000000000000000042", email: "ada@example.com", email_verified: true };

const GOOGLE_FAILURES: Record<string, GoogleCase> = {
  "Google sends another error back (invalid_request)": { callback: { error: "invalid_request" }, problem: "provider-error", status: 400 },
  "the callback has no state": { callback: "no state", problem: "invalid-state", status: 400 },
  "the callback has no code": { callback: "no code", problem: "invalid-state", status: 400 },
  "the state cookie is absent (another browser)": { callback: "no state cookie", problem: "invalid-state", status: 400 },
  "the state isn't the cookie's": { callback: "forged state", problem: "invalid-state", status: 400 },
  "Google refuses the code (400, invalid_grant)": { token: () => json({ error: "invalid_grant" }, 400), problem: "invalid-state", status: 400 },
  "Google refuses our client (401, invalid_client)": { token: () => json({ error: "invalid_client" }, 401), problem: "rejected", status: 502, logsError: true },
  "Google refuses our client (400, unauthorized_client)": { token: () => json({ error: "unauthorized_client" }, 400), problem: "rejected", status: 502, logsError: true },
  "the token endpoint answers 500": { token: () => new Response("oops", { status: 500 }), problem: "unavailable", status: 502 },
  "the token endpoint can't be reached": { token: unreachable, problem: "unavailable", status: 502 },
  "the token endpoint answers without an ID token": { token: () => json({ access_token: "a", token_type: "Bearer" }), problem: "unavailable", status: 502 },
  "Google's keys can't be fetched": { jwks: unreachable, problem: "unavailable", status: 502 },
  "the ID token is for another app": { tokenOptions: { audience: "someone-else.apps.googleusercontent.com" }, problem: "invalid-token", status: 400 },
  "the account's email isn't verified": { user: { ...ada, email_verified: false }, problem: "no-verified-email", status: 403 },
};

describe("Google sign-in failures → pages", () => {
  beforeEach(() => forgetGoogleKeys());

  it.each(Object.entries(GOOGLE_FAILURES))("%s", async (_, { callback = "complete", token, jwks, user = ada, tokenOptions, problem, status, logsError }) => {
    if (logsError) expectConsoleErrors();
    const google = interceptGoogle(user, { token, jwks });
    if (tokenOptions) google.state.tokenOptions = tokenOptions;
    const start = await startGoogleSignIn();
    google.state.nonce = start.nonce;
    const response = await googleCallback(callbackParams(callback, start.state), { cookie: callback === "no state cookie" ? undefined : start.cookie });

    await expectProblemPage(response, GOOGLE_PROBLEMS[problem], status);
    expect(setCookieNamed(response, "__Host-latchkey_google"), "the state cookie is single use").toMatch(/Max-Age=0/);
    expect(await refusals("google_refused")).toEqual([expect.stringMatching(new RegExp(`^${problem}`))]);
  });

  it("sends a cancelled sign-in (error=access_denied) back to the sign-in page, not to a problem page", async () => {
    const start = await startGoogleSignIn();
    const response = await googleCallback({ error: "access_denied", state: start.state }, { cookie: start.cookie });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?google=cancelled");
    expect(await refusals("google_refused")).toEqual(["cancelled"]);
  });
});
