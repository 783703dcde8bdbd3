/**
 * Talking to GitHub (or the local stand-in, or GitHub Enterprise): the remix-auth-github strategy with
 * configurable endpoints and PKCE, the profile fetch, and what counts as GitHub being unavailable.
 *
 * remix-auth-github v3 hard-codes github.com through arctic's `GitHub` client and sends no PKCE. We keep
 * its `authenticate()` (state cookie, state check, code exchange, verify) untouched and swap only its
 * client for a subclass of that same `GitHub` class that delegates to arctic's generic `OAuth2Client`,
 * which takes endpoints as arguments and can send `code_challenge`/`code_verifier` (S256).
 */
import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { CodeChallengeMethod, GitHub, OAuth2Client, OAuth2RequestError, OAuth2Tokens } from "arctic";
import { Authenticator } from "remix-auth";
import { GitHubStrategy } from "remix-auth-github";
import * as z from "zod/mini";
import type { AppConfig, GitHubConfig } from "~/lib/env.server";
import { encodeBase64Url } from "~/lib/crypto.server";
import { checkEmail } from "~/lib/email-address";
import { withinDeadline as withinDeadlineOf } from "~/lib/deadline";

/** Enough to read the profile and the (private) email list; nothing more. */
export const GITHUB_SCOPES: GitHubStrategy.Scope[] = ["read:user", "user:email"];

/** Every call to GitHub gets this long; slower counts as GitHub being down (OA-4). */
export const GITHUB_TIMEOUT_MS = 5_000;

/** How long a started GitHub sign-in may take before its state cookie is gone. */
export const GITHUB_STATE_MAX_AGE_SECONDS = 10 * 60;

/** GitHub's REST API asks every client for a User-Agent and this media type. */
const API_HEADERS = {
  Accept: "application/vnd.github+json",
  "User-Agent": "Latchkey",
  "X-GitHub-Api-Version": "2022-11-28",
};

/** GitHub didn't answer in time, answered with an error status, or answered something unreadable. */
export class GitHubUnavailableError extends Error {
  constructor(readonly why: string) {
    super(`GitHub unavailable: ${why}`);
    this.name = "GitHubUnavailableError";
  }
}

export interface GitHubProfile {
  /** GitHub's numeric user id, as text: the only stable key (logins and emails change). */
  id: string;
  login: string;
  name: string | null;
  avatarUrl: string | null;
  /** The primary email, if GitHub says it is verified (normalized); null otherwise. */
  verifiedEmail: string | null;
}

/** The state cookie's name; `__Host-` pins it to this exact origin over https (SES-1). */
export function githubStateCookieName(config: AppConfig): string {
  return config.secureCookies ? "__Host-latchkey_github" : "latchkey_github";
}

/**
 * The PKCE verifier for a state, derived instead of stored: HMAC-SHA-256(secret, state), 43 base64url
 * characters (RFC 7636 wants 43–128). The state travels in URLs, but without the server secret it says
 * nothing about the verifier, so an intercepted code still can't be redeemed (RFC 9700 §2.1.1). And the
 * strategy's own cookie keeps working unchanged: the state it already stores is all we need.
 */
export function pkceVerifierFor(secret: string, state: string): string {
  const encoder = new TextEncoder();
  return encodeBase64Url(hmac(SHA256, encoder.encode(secret), encoder.encode(`latchkey-github-pkce:${state}`)));
}

/** Resolves with `work`'s result, or rejects with GitHubUnavailableError("timeout") after `ms`. */
export function withinDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withinDeadlineOf(ms, work, () => new GitHubUnavailableError("timeout"));
}

/**
 * arctic's `GitHub` client with the endpoints from config and PKCE S256. The strategy calls exactly these
 * two methods; `callbackState` is the state of the callback being handled (the strategy compares it with
 * its cookie before it asks for the code exchange).
 */
export class ConfigurableGitHubClient extends GitHub {
  readonly #oauth: OAuth2Client;
  readonly #github: GitHubConfig;
  readonly #verifierFor: (state: string) => string;
  readonly #callbackState: string | null;
  readonly #timeoutMs: number;

  constructor(
    github: GitHubConfig,
    options: { verifierFor: (state: string) => string; callbackState: string | null; timeoutMs: number },
  ) {
    super(github.clientId, github.clientSecret, github.redirectUri);
    // The exact registered redirect_uri goes into both the authorize URL and the token request (OA-2).
    this.#oauth = new OAuth2Client(github.clientId, github.clientSecret, github.redirectUri);
    this.#github = github;
    this.#verifierFor = options.verifierFor;
    this.#callbackState = options.callbackState;
    this.#timeoutMs = options.timeoutMs;
  }

  override createAuthorizationURL(state: string, scopes: string[]): URL {
    return this.#oauth.createAuthorizationURLWithPKCE(
      `${this.#github.oauthUrl}/login/oauth/authorize`,
      state,
      CodeChallengeMethod.S256,
      this.#verifierFor(state),
      scopes,
    );
  }

  override async validateAuthorizationCode(code: string): Promise<OAuth2Tokens> {
    if (!this.#callbackState) throw new RangeError("No state to derive the PKCE verifier from.");
    const verifier = this.#verifierFor(this.#callbackState);
    const tokenEndpoint = `${this.#github.oauthUrl}/login/oauth/access_token`;
    let tokens: OAuth2Tokens;
    try {
      tokens = await withinDeadline(this.#timeoutMs, () => this.#oauth.validateAuthorizationCode(tokenEndpoint, code, verifier));
    } catch (error) {
      // A refusal in OAuth's error format (e.g. a bad code) is GitHub's answer, not an outage.
      if (error instanceof OAuth2RequestError || error instanceof GitHubUnavailableError) throw error;
      throw new GitHubUnavailableError(`token request failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    // GitHub answers refusals with 200 and an `error` field, which the generic client takes for tokens.
    const data = tokens.data as Record<string, unknown>;
    if (typeof data.error === "string") {
      const description = typeof data.error_description === "string" ? data.error_description : null;
      throw new OAuth2RequestError(data.error, description, null, null);
    }
    if (typeof data.access_token !== "string" || data.access_token === "") {
      throw new GitHubUnavailableError("token response without access_token");
    }
    return tokens;
  }

  override refreshAccessToken(): Promise<OAuth2Tokens> {
    // OAuth app tokens don't expire, and we never keep them past the sign-in.
    return Promise.reject(new Error("GitHub sign-in never refreshes tokens"));
  }
}

/** remix-auth-github's strategy, pointed at our endpoints for each request it authenticates. */
export class GitHubSignInStrategy extends GitHubStrategy<GitHubProfile> {
  readonly #github: GitHubConfig;
  readonly #pkceSecret: string;
  readonly #timeoutMs: number;

  constructor(config: AppConfig & { github: GitHubConfig }, timeoutMs: number) {
    const github = config.github;
    super(
      {
        clientId: github.clientId,
        clientSecret: github.clientSecret,
        redirectURI: github.redirectUri,
        scopes: GITHUB_SCOPES,
        // The state cookie: HttpOnly, Lax (the callback is a top-level GET from github.com), short-lived.
        cookie: {
          name: githubStateCookieName(config),
          path: "/",
          httpOnly: true,
          sameSite: "Lax",
          maxAge: GITHUB_STATE_MAX_AGE_SECONDS,
          ...(config.secureCookies ? { secure: true as const } : {}),
        },
      },
      ({ tokens }) => fetchGitHubProfile(github, tokens.accessToken(), timeoutMs),
    );
    this.#github = github;
    this.#pkceSecret = config.sessionSecrets[0]!;
    this.#timeoutMs = timeoutMs;
  }

  override authenticate(request: Request): Promise<GitHubProfile> {
    this.client = new ConfigurableGitHubClient(this.#github, {
      verifierFor: (state) => pkceVerifierFor(this.#pkceSecret, state),
      callbackState: new URL(request.url).searchParams.get("state"),
      timeoutMs: this.#timeoutMs,
    });
    return super.authenticate(request);
  }
}

/** One authenticator per request: the config (and so the endpoints) can differ between requests. */
export function createGitHubAuthenticator(config: AppConfig & { github: GitHubConfig }, timeoutMs = GITHUB_TIMEOUT_MS) {
  return new Authenticator<GitHubProfile>().use(new GitHubSignInStrategy(config, timeoutMs), "github");
}

const GitHubUser = z.object({
  id: z.int().check(z.positive()),
  login: z.string().check(z.minLength(1), z.maxLength(100)),
  name: z.nullish(z.string().check(z.maxLength(255))),
  avatar_url: z.nullish(z.string().check(z.maxLength(2048))),
});

const GitHubEmails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));

async function getJson<T>(url: string, accessToken: string, signal: AbortSignal, schema: z.ZodMiniType<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { ...API_HEADERS, Authorization: `Bearer ${accessToken}` }, signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new GitHubUnavailableError(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new GitHubUnavailableError(`${url} answered ${response.status}`);
  }
  const parsed = schema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) throw new GitHubUnavailableError(`${url} answered an unexpected body`);
  return parsed.data;
}

/** The person's profile and email list (`GET /user`, `GET /user/emails`), within one deadline. */
export async function fetchGitHubProfile(github: GitHubConfig, accessToken: string, timeoutMs = GITHUB_TIMEOUT_MS): Promise<GitHubProfile> {
  const [user, emails] = await withinDeadline(timeoutMs, (signal) =>
    Promise.all([
      getJson(`${github.apiUrl}/user`, accessToken, signal, GitHubUser),
      getJson(`${github.apiUrl}/user/emails`, accessToken, signal, GitHubEmails),
    ]),
  );
  return {
    id: String(user.id),
    login: user.login,
    name: user.name || null,
    avatarUrl: isHttpUrl(user.avatar_url) ? user.avatar_url : null,
    verifiedEmail: primaryVerifiedEmail(emails),
  };
}

/**
 * The primary address, and only if GitHub verified it (OA-3): a verified mailbox is exactly what email
 * sign-in trusts. Secondary addresses are never used to pick an account.
 */
export function primaryVerifiedEmail(emails: { email: string; primary: boolean; verified: boolean }[]): string | null {
  const primary = emails.find((e) => e.primary && e.verified);
  if (!primary) return null;
  const checked = checkEmail(primary.email);
  return checked.ok ? checked.email : null;
}

function isHttpUrl(value: string | null | undefined): value is string {
  if (!value) return false;
  try {
    return ["https:", "http:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
