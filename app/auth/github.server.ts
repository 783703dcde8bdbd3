/**
 * Sign-in with GitHub: start (redirect to GitHub with state + PKCE), finish (check, exchange, fetch the
 * profile), find or link or create the Latchkey user, then the same session start, security log and
 * redirect handling as the email paths. Linking rules: docs/decisions/004-github-account-linking.md.
 */
import { OAuth2RequestError } from "arctic";
import type { ClientInfo } from "~/lib/client-info.server";
import { appCookie, readCookieValue, serializeExpiredCookie } from "~/lib/cookies.server";
import { generateId } from "~/lib/crypto.server";
import type { Database } from "~/lib/db.server";
import type { AppConfig, GitHubConfig } from "~/lib/env.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { recordAuthEvent } from "./events.server";
import { sendSecurityNotice } from "./notices.server";
import {
  GITHUB_STATE_MAX_AGE_SECONDS,
  GITHUB_TIMEOUT_MS,
  GitHubUnavailableError,
  createGitHubAuthenticator,
  githubStateCookieName,
  type GitHubProfile,
} from "./github-oauth.server";
import { type SignInDeps } from "./sign-in.server";
import { guessGate } from "./gates.server";
import { bindNumbered, startSessionForUser, type IdentityLink, type SignInOutcome } from "./start-session.server";

type WithGitHub = AppConfig & { github: GitHubConfig };

export type GitHubProblem =
  | "cancelled"
  | "provider-error"
  | "invalid-state"
  | "unavailable"
  | "rejected"
  | "no-verified-email"
  | "signup-closed";

export type GitHubSignInResult =
  | { ok: true; outcome: SignInOutcome }
  | { ok: false; reason: GitHubProblem }
  | { ok: false; reason: "rate-limited"; retryAfterSeconds: number };

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
  deps: SignInDeps,
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
  const resolved = await resolveGitHubUser(deps, profile);
  if (!resolved.ok) return refuse(resolved.reason, resolved.reason, profile.verifiedEmail);

  const outcome = await startSessionForUser(deps, {
    userId: resolved.userId,
    redirectTo: await readCookieValue(request, redirectCookie(config)),
    method: "github",
    client,
    previousSessionToken,
    // Matched only by email: attached by the batch that completes the sign-in, never before it.
    link: resolved.how === "link" ? resolved.link : null,
  });
  // As on the email paths: a sign-in waiting for its second factor is logged when that completes.
  if (outcome.kind === "session") {
    if (outcome.linked) reportIdentityLinked(deps, { userId: resolved.userId, email: resolved.email, link: outcome.linked, client });
    recordAuthEvent(deps, { type: "sign_in", detail: "github", email: resolved.email, userId: resolved.userId, client });
  }
  return { ok: true, outcome };
}

/** The log entry and the notice (EM-5) for a provider account that was just attached to a user. */
export function reportIdentityLinked(
  deps: SignInDeps,
  { userId, email, link, client }: { userId: string; email: string; link: IdentityLink; client: ClientInfo },
): void {
  recordAuthEvent(deps, { type: "github_linked", detail: link.login ?? undefined, email, userId, client });
  sendGitHubLinkedNotice(deps, { to: email, login: link.login ?? link.providerUserId, name: link.name, client });
}

export type ResolveResult =
  | { ok: true; userId: string; email: string; how: "returning" | "created" }
  | { ok: true; userId: string; email: string; how: "link"; link: IdentityLink }
  | { ok: false; reason: "signup-closed" };

/**
 * The Latchkey user for a GitHub profile with a verified email: the one this GitHub id is linked to
 * (whatever email GitHub shows now), else the user with that email (to be linked when the sign-in
 * completes, OA-3), else a new user (unless sign-up is off). One D1 batch, so it is a single transaction:
 *   1. refresh the identity's profile fields if it exists → returning user;
 *   2. create the user, only if no identity exists and no user has the email;
 *   3. link the identity to the user created by 2 (a new account has no second factor to wait for);
 *   4. read the user with the email → a link candidate, written later by the completing batch.
 */
export async function resolveGitHubUser(
  { db, config, now }: { db: Database; config: AppConfig; now: () => Date },
  profile: GitHubProfile,
): Promise<ResolveResult> {
  const email = profile.verifiedEmail;
  if (!email) throw new Error("resolveGitHubUser needs a verified email");
  const d1 = db.$client;
  const newUserId = generateId("usr");
  const params = [
    profile.id,
    profile.login,
    profile.name,
    profile.avatarUrl,
    email,
    now().getTime(),
    newUserId,
    config.allowSignup ? 1 : 0,
    generateId("idn"),
  ];
  const identityExists = `EXISTS (SELECT 1 FROM identities WHERE provider = 'github' AND provider_user_id = ?1)`;
  const [refreshed, created, , existing] = await d1.batch([
    bindNumbered(
      d1,
      `UPDATE identities SET login = ?2, name = ?3, avatar_url = ?4, email = ?5, updated_at = ?6
       WHERE provider = 'github' AND provider_user_id = ?1
       RETURNING user_id, (SELECT email FROM users WHERE users.id = identities.user_id) AS user_email`,
      params,
    ),
    bindNumbered(
      d1,
      `INSERT INTO users (id, email, email_verified_at, created_at)
       SELECT ?7, ?5, ?6, ?6 WHERE ?8 AND NOT ${identityExists}
       ON CONFLICT (email) DO NOTHING
       RETURNING id`,
      params,
    ),
    bindNumbered(
      d1,
      `INSERT INTO identities (id, user_id, provider, provider_user_id, login, name, avatar_url, email, created_at, updated_at)
       SELECT ?9, users.id, 'github', ?1, ?2, ?3, ?4, ?5, ?6, ?6 FROM users WHERE users.id = ?7
       ON CONFLICT (provider, provider_user_id) DO NOTHING`,
      params,
    ),
    bindNumbered(d1, `SELECT id FROM users WHERE email = ?5 AND NOT ${identityExists}`, params),
  ]);
  const returning = (refreshed!.results as { user_id: string; user_email: string }[])[0];
  if (returning) return { ok: true, userId: returning.user_id, email: returning.user_email, how: "returning" };
  if ((created!.results as { id: string }[]).length > 0) return { ok: true, userId: newUserId, email, how: "created" };
  const user = (existing!.results as { id: string }[])[0];
  if (user) {
    const link: IdentityLink = {
      id: generateId("idn"),
      provider: "github",
      providerUserId: profile.id,
      login: profile.login,
      name: profile.name,
      avatarUrl: profile.avatarUrl,
      email,
    };
    return { ok: true, userId: user.id, email, how: "link", link };
  }
  // Nothing matched. The batch is one transaction, so a parallel sign-in for this GitHub id either
  // committed first (statement 1 would have matched) or will find ours: this is sign-up being off.
  return { ok: false, reason: "signup-closed" };
}

/** EM-5: a new way into the account was added; tell the account's own address, with what to do. */
function sendGitHubLinkedNotice(
  deps: SignInDeps,
  { to, login, name, client }: { to: string; login: string; name: string | null; client: ClientInfo },
): void {
  sendSecurityNotice(deps, client, {
    to,
    subject: `GitHub account @${login} was linked to your Latchkey account`,
    heading: "A GitHub account was linked to your account",
    paragraphs: [
      `The GitHub account @${login} signed in to your Latchkey account (${to}) because GitHub confirmed it owns this email address. From now on it can sign in without an email link.`,
      "If that was you, there's nothing to do.",
      "If it wasn't you, someone controls a GitHub account that has verified this email address. Secure your email account first, then sign in with an email link and unlink GitHub (and sign out everywhere else) on your account page.",
    ],
    details: [["GitHub account", `@${login}${name ? ` (${name})` : ""}`]],
    action: { label: "Review your GitHub email addresses", url: "https://github.com/settings/emails" },
  });
}
