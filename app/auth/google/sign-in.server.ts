/**
 * Sign-in with Google, two ways in, one way through:
 *   - the redirect flow: start (state, PKCE, nonce) → Google → callback (state check, code exchange);
 *   - One Tap: Google's prompt on our page hands its callback an ID token, which the page posts here
 *     with the double-submit `g_csrf_token` and the nonce this browser was given (decision 009).
 * Both verify the ID token the same way (id-token.server.ts), then resolve the user by Google's `sub`,
 * link by verified email or create (identities.server.ts), and start the session exactly as GitHub and
 * the email paths do. Every expected failure is a reason, never an exception.
 */
import { OAuth2RequestError } from "arctic";
import type { ClientInfo } from "~/lib/client-info.server";
import { appCookie, serializeExpiredCookie } from "~/lib/cookies.server";
import { generateToken, timingSafeEqual } from "~/lib/crypto.server";
import { checkEmail } from "~/lib/email-address";
import type { AppConfig, GoogleConfig } from "~/lib/env.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { recordAuthEvent } from "~/auth/audit/events.server";
import { signInWithProvider } from "~/auth/identities/sign-in.server";
import { type AuthDeps } from "~/auth/deps";
import { guessGate } from "../gates.server";
import { GOOGLE_TIMEOUT_MS, GoogleUnavailableError, verifyGoogleIdToken, type GoogleClaims } from "./id-token.server";
import { exchangeGoogleCode, googleAuthorizationUrl, deriveFromState } from "./oauth.server";
import { readOneTapNonce, spendNonce } from "./one-tap-nonces.server";
import type { ProviderSignInResult } from "../provider-callback.server";

export type GoogleProblem =
  | "cancelled"
  | "provider-error"
  | "invalid-state"
  | "invalid-token"
  | "csrf-mismatch"
  | "unavailable"
  | "rejected"
  | "no-verified-email"
  | "signup-closed";

export type GoogleSignInResult = ProviderSignInResult<GoogleProblem>;

/** How long a started redirect sign-in may take before its cookie is gone. */
export const GOOGLE_STATE_MAX_AGE_SECONDS = 10 * 60;

/** The redirect flow's state and where to go afterwards: one signed, HttpOnly, Lax cookie (SES-1). */
const stateCookie = (config: AppConfig) => appCookie(config, "latchkey_google", GOOGLE_STATE_MAX_AGE_SECONDS);

/** Google's double-submit cookie name for One Tap posts; set by the page's script, so not HttpOnly. */
export const CSRF_COOKIE = "g_csrf_token";

function requireGoogle(config: AppConfig): GoogleConfig {
  if (!config.google) throw new Response("Not Found", { status: 404 });
  return config.google;
}

/** The redirect to Google's authorization endpoint with a fresh state. 404 when Google sign-in is off. */
export async function startGoogleSignIn(config: AppConfig, { redirectTo }: { redirectTo: unknown }): Promise<Response> {
  const google = requireGoogle(config);
  const state = generateToken(32);
  const url = googleAuthorizationUrl(google, { state, secret: config.sessionSecrets[0]! });
  const headers = new Headers({ Location: url.href });
  headers.append("Set-Cookie", await stateCookie(config).serialize({ state, redirectTo: safeRedirectPath(redirectTo) }));
  return new Response(null, { status: 302, headers });
}

/** Set-Cookie values that end the redirect flow's cookie: its state is single use (OA-1). */
export async function expiredGoogleCookies(config: AppConfig): Promise<string[]> {
  return [await serializeExpiredCookie(stateCookie(config))];
}

async function readStateCookie(request: Request, config: AppConfig): Promise<{ state: string; redirectTo: string } | null> {
  const header = request.headers.get("Cookie");
  if (!header) return null;
  const value: unknown = await stateCookie(config).parse(header).catch(() => null);
  if (typeof value !== "object" || value === null) return null;
  const { state, redirectTo } = value as Record<string, unknown>;
  return typeof state === "string" && typeof redirectTo === "string" ? { state, redirectTo } : null;
}

type Deps = AuthDeps;
type Common = { request: Request; client: ClientInfo; previousSessionToken: string | null; timeoutMs?: number };

function refuser(deps: Deps, client: ClientInfo) {
  return (reason: GoogleProblem, detail: string = reason, email?: string | null) => {
    recordAuthEvent(deps, { type: "google_refused", detail: detail.slice(0, 160), email, client });
    return { ok: false as const, reason };
  };
}

/** Handles Google's redirect back to /auth/google/callback. */
export async function completeGoogleSignIn(deps: Deps, { request, client, previousSessionToken, timeoutMs = GOOGLE_TIMEOUT_MS }: Common): Promise<GoogleSignInResult> {
  const google = requireGoogle(deps.config);
  const refuse = refuser(deps, client);
  // Same per-IP gate as redeeming a link or code, or a GitHub callback (RL-1).
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };

  const params = new URL(request.url).searchParams;
  const error = params.get("error");
  if (error === "access_denied") return refuse("cancelled");
  if (error) return refuse("provider-error", `provider-error: ${error.slice(0, 64)}`);
  const state = params.get("state");
  const code = params.get("code");
  const started = await readStateCookie(request, deps.config);
  // OA-1: the state must be the one this browser was sent off with.
  if (!state || !code || !started || !timingSafeEqual(state, started.state)) return refuse("invalid-state");

  const secret = deps.config.sessionSecrets[0]!;
  let idToken: string;
  try {
    idToken = await exchangeGoogleCode(google, { code, state, secret, timeoutMs });
  } catch (thrown) {
    if (thrown instanceof OAuth2RequestError) {
      // A used, expired or forged code, or a verifier that doesn't match it: start again.
      if (thrown.code === "invalid_grant") return refuse("invalid-state");
      // Anything else is our OAuth client's configuration (secret, redirect URI): the operator must act.
      console.error(`Google refused the token request: ${thrown.code}`);
      return refuse("rejected", `rejected: ${thrown.code.slice(0, 64)}`);
    }
    if (thrown instanceof GoogleUnavailableError) {
      console.warn(`Google sign-in: ${thrown.message}`);
      return refuse("unavailable", `unavailable: ${thrown.why.slice(0, 120)}`);
    }
    throw thrown;
  }

  const verified = await verifyGoogleIdToken({ google, now: deps.now, timeoutMs }, idToken, { nonce: deriveFromState(secret, "nonce", state) });
  if (!verified.ok) {
    if (verified.reason === "unavailable") console.warn(`Google sign-in: keys unavailable: ${verified.why}`);
    // A token from Google's own token endpoint that fails verification is not the person's doing.
    return verified.reason === "unavailable"
      ? refuse("unavailable", `unavailable: ${verified.why}`)
      : refuse("invalid-token", `invalid-token: ${verified.why}`);
  }
  return signInWithGoogle(deps, verified.claims, { redirectTo: started.redirectTo, client, previousSessionToken, refuse });
}

/**
 * Handles a One Tap credential posted by our own page (POST /auth/google/one-tap): the `g_csrf_token`
 * field must match its cookie, and the ID token must carry the nonce of this browser's cookie, which is
 * then spent, before it counts.
 */
export async function completeGoogleOneTap(
  deps: Deps,
  { request, form, client, previousSessionToken, timeoutMs = GOOGLE_TIMEOUT_MS }: Common & { form: FormData },
): Promise<GoogleSignInResult> {
  const google = requireGoogle(deps.config);
  const refuse = refuser(deps, client);
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };

  // Google's double-submit check: the page put the same random value in a cookie and in the form.
  const field = form.get(CSRF_COOKIE);
  const cookie = plainCookie(request, CSRF_COOKIE);
  if (typeof field !== "string" || !cookie || field.length > 256 || !timingSafeEqual(field, cookie)) return refuse("csrf-mismatch");
  const credential = form.get("credential");
  if (typeof credential !== "string" || credential === "") return refuse("invalid-token", "invalid-token: missing");
  const now = deps.now();
  const nonce = await readOneTapNonce(request, deps.config, now);
  // No nonce of ours: the prompt is older than 10 minutes, or was shown in another browser.
  if (!nonce) return refuse("invalid-state", "invalid-state: no nonce");

  const verified = await verifyGoogleIdToken({ google, now: deps.now, timeoutMs }, credential, { nonce });
  if (!verified.ok) {
    if (verified.reason === "unavailable") {
      console.warn(`Google One Tap: keys unavailable: ${verified.why}`);
      return refuse("unavailable", `unavailable: ${verified.why}`);
    }
    return refuse("invalid-token", `invalid-token: ${verified.why}`);
  }
  // TOK-3: one use per nonce, decided by a single INSERT.
  if (!(await spendNonce(deps.db, nonce, now))) return refuse("invalid-token", "invalid-token: nonce already used");
  const redirectTo = form.get("redirectTo");
  return signInWithGoogle(deps, verified.claims, {
    redirectTo: typeof redirectTo === "string" ? redirectTo : null,
    client,
    previousSessionToken,
    refuse,
  });
}

/** After a verified ID token, both flows: resolve the user (OA-3) and start the session. */
async function signInWithGoogle(
  deps: Deps,
  claims: GoogleClaims,
  { redirectTo, client, previousSessionToken, refuse }: {
    redirectTo: string | null;
    client: ClientInfo;
    previousSessionToken: string | null;
    refuse: ReturnType<typeof refuser>;
  },
): Promise<GoogleSignInResult> {
  const checked = claims.email ? checkEmail(claims.email) : null;
  if (!claims.emailVerified || !checked?.ok) return refuse("no-verified-email");
  const signedIn = await signInWithProvider(
    deps,
    {
      provider: "google",
      providerUserId: claims.sub,
      verifiedEmail: checked.email,
      login: null,
      name: claims.name,
      avatarUrl: claims.picture,
      hostedDomain: claims.hostedDomain,
    },
    { redirectTo, client, previousSessionToken },
  );
  return signedIn.ok ? signedIn : refuse(signedIn.reason, signedIn.reason, checked.email);
}

/** A cookie that isn't ours to sign (Google's double-submit token), read as sent. */
function plainCookie(request: Request, name: string): string | null {
  for (const part of (request.headers.get("Cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}
