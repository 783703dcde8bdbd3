/**
 * Sign-in with GitHub: start (redirect to GitHub with state + PKCE), finish (check, exchange, fetch the
 * profile), find or link or create the Latchkey user, then the same session start, security log and
 * redirect handling as the email paths. Linking rules: docs/decisions/004-github-account-linking.md.
 */
import { OAuth2RequestError } from "arctic";
import type { ClientInfo } from "~/lib/client-info.server";
import { appCookie, readCookieValue, serializeExpiredCookie } from "~/lib/cookies.server";
import type { AppConfig, GitHubConfig } from "~/lib/env.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { recordAuthEvent } from "../audit/events.server";
import { resolveIdentityUser, type ProviderProfile, type ResolveResult } from "../identities/identities.server";
import { signInWithProvider } from "../identities/sign-in.server";
import {
  GITHUB_STATE_MAX_AGE_SECONDS,
  GITHUB_TIMEOUT_MS,
  GitHubUnavailableError,
  createGitHubAuthenticator,
  githubStateCookieName,
  type GitHubProfile,
} from "./oauth.server";
import type { AuthDeps } from "../deps";
import { guessGate } from "../gates.server";
import type { ProviderSignInResult } from "../provider-callback.server";

type WithGitHub = AppConfig & { github: GitHubConfig };

export type GitHubProblem =
  | "cancelled"
  | "provider-error"
  | "invalid-state"
  | "unavailable"
  | "rejected"
  | "no-verified-email"
  | "signup-closed";

export type GitHubSignInResult = ProviderSignInResult<GitHubProblem>;

/** Where to go after GitHub: its own short-lived signed cookie, re-validated when read (WEB-2). */
const redirectCookie = (config: AppConfig) => appCookie(config, "latchkey_github_to", GITHUB_STATE_MAX_AGE_SECONDS);

function requireGitHub(config: AppConfig): WithGitHub {
  if (!config.github) throw new Response("Not Found", { status: 404 });
  return config as WithGitHub;
}

/**
 * The redirect to GitHub's authorize page, setting the state cookie (from the strategy) and the
 * redirectTo cookie. 404 when GitHub sign-in is off.
 */
export async function startGitHubSignIn(config: AppConfig, { redirectTo }: { redirectTo: unknown }): Promise<Response> {
  const withGitHub = requireGitHub(config);
  // The strategy treats a `state` in the URL as a callback; start from the bare path so it never does.
  const start = new Request(new URL("/auth/github", config.appUrl));
  let response: Response;
  try {
    await createGitHubAuthenticator(withGitHub).authenticate("github", start);
    throw new Error("the GitHub strategy returned without redirecting");
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown;
    response = thrown;
  }
  response.headers.append("Set-Cookie", await redirectCookie(config).serialize(safeRedirectPath(redirectTo)));
  return response;
}

/** Set-Cookie values that end the GitHub flow's cookies: state and redirectTo are single use (OA-1). */
export async function expiredGitHubCookies(config: AppConfig): Promise<string[]> {
  const secure = config.secureCookies ? "; Secure" : "";
  return [
    `${githubStateCookieName(config)}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax${secure}`,
    await serializeExpiredCookie(redirectCookie(config)),
  ];
}

/**
 * Handles GitHub's redirect back: every expected failure is a reason, never an exception; only bugs
 * and infrastructure faults (D1 down) throw.
 */
export async function completeGitHubSignIn(
  deps: AuthDeps,
  { request, client, previousSessionToken, timeoutMs = GITHUB_TIMEOUT_MS }: {
    request: Request;
    client: ClientInfo;
    previousSessionToken: string | null;
    timeoutMs?: number;
  },
): Promise<GitHubSignInResult> {
  const config = requireGitHub(deps.config);
  const refuse = (reason: GitHubProblem, detail: string = reason, email?: string | null) => {
    recordAuthEvent(deps, { type: "github_refused", detail, email, client });
    return { ok: false as const, reason };
  };

  // Same per-IP gate as redeeming a link or code (RL-1).
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };

  const params = new URL(request.url).searchParams;
  const error = params.get("error");
  if (error === "access_denied") return refuse("cancelled");
  if (error) return refuse("provider-error", `provider-error: ${error.slice(0, 64)}`);
  // Checked here too: without a state the strategy would start a new flow instead of refusing.
  if (!params.get("state") || !params.get("code")) return refuse("invalid-state");

  let profile: GitHubProfile;
  try {
    profile = await createGitHubAuthenticator(config, timeoutMs).authenticate("github", request);
  } catch (thrown) {
    if (thrown instanceof Response) throw thrown;
    // The strategy: ReferenceError for a missing state cookie, RangeError for a state mismatch (OA-1).
    if (thrown instanceof ReferenceError || thrown instanceof RangeError) return refuse("invalid-state");
    if (thrown instanceof OAuth2RequestError) {
      // An expired, used or forged code (or a verifier that doesn't match it): start again.
      if (thrown.code === "bad_verification_code" || thrown.code === "invalid_grant") return refuse("invalid-state");
      // Anything else is our OAuth app's configuration (client secret, callback URL): the operator must act.
      console.error(`GitHub refused the token request: ${thrown.code}`);
      return refuse("rejected", `rejected: ${thrown.code.slice(0, 64)}`);
    }
    if (thrown instanceof GitHubUnavailableError) {
      console.warn(`GitHub sign-in: ${thrown.message}`);
      return refuse("unavailable", `unavailable: ${thrown.why.slice(0, 120)}`);
    }
    throw thrown;
  }

  if (!profile.verifiedEmail) return refuse("no-verified-email", "no-verified-email");
  const signedIn = await signInWithProvider(deps, githubIdentity(profile, profile.verifiedEmail), {
    redirectTo: await readCookieValue(request, redirectCookie(config)),
    client,
    previousSessionToken,
  });
  return signedIn.ok ? signedIn : refuse(signedIn.reason, signedIn.reason, profile.verifiedEmail);
}

/** A GitHub profile as a provider identity: keyed by the numeric id, never the login or email. */
function githubIdentity(profile: GitHubProfile, verifiedEmail: string): ProviderProfile {
  return { provider: "github", providerUserId: profile.id, verifiedEmail, login: profile.login, name: profile.name, avatarUrl: profile.avatarUrl, hostedDomain: null };
}

/** The Latchkey user for a GitHub profile with a verified primary email (rules: identities.server.ts). */
export function resolveGitHubUser(deps: Pick<AuthDeps, "db" | "config" | "now">, profile: GitHubProfile): Promise<ResolveResult> {
  if (!profile.verifiedEmail) throw new Error("resolveGitHubUser needs a verified email");
  return resolveIdentityUser(deps, githubIdentity(profile, profile.verifiedEmail));
}
