/** Steps of a Google sign-in through the real Worker, with Google sign-in configured by env overrides. */
import { forgetGoogleKeys } from "~/auth/google/id-token.server";
import { fetchWithEnv, url } from "./app";
import { pageLoaderData } from "./page-data";
import { cookiesFrom } from "./github";
import { GOOGLE_ENV, signIdToken, type FakeGoogleUser, type GoogleMock, type TokenOptions } from "../mocks/google";

export { cookiesFrom, setCookieNamed } from "./github";

type EnvOverrides = Partial<Record<keyof Env, unknown>>;

const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";

/** Every test starts as a new isolate would: no Google keys cached yet. */
export { forgetGoogleKeys };

/** A GET to the Worker with Google configured, waiting for its after-response work. */
export function getWithGoogle(path: string, { cookie, env = GOOGLE_ENV }: { cookie?: string; env?: EnvOverrides } = {}) {
  const target = url(path);
  const headers = new Headers({ Host: new URL(target).host, "User-Agent": FIREFOX });
  if (cookie) headers.set("Cookie", cookie);
  return fetchWithEnv(new Request(target, { headers, redirect: "manual" }), env);
}

/** A form POST with Google configured, from our own origin unless `origin` says otherwise. */
export function postWithGoogle(
  path: string,
  form: Record<string, string>,
  { cookie, env = GOOGLE_ENV, origin = new URL(url("/")).origin }: { cookie?: string; env?: EnvOverrides; origin?: string | null } = {},
) {
  const target = url(path);
  const headers = new Headers({ Host: new URL(target).host, "User-Agent": FIREFOX, "Content-Type": "application/x-www-form-urlencoded" });
  if (origin) headers.set("Origin", origin);
  if (cookie) headers.set("Cookie", cookie);
  return fetchWithEnv(new Request(target, { method: "POST", body: new URLSearchParams(form).toString(), headers, redirect: "manual" }), env);
}

/** GET /auth/google: the authorize URL Google would see and the cookies the browser would keep. */
export async function startGoogleSignIn(redirectTo?: string, env?: EnvOverrides) {
  const response = await getWithGoogle(redirectTo ? `/auth/google?redirectTo=${encodeURIComponent(redirectTo)}` : "/auth/google", { env });
  if (response.status !== 302) throw new Error(`GET /auth/google answered ${response.status}`);
  const authorizeUrl = new URL(response.headers.get("Location")!);
  const params = authorizeUrl.searchParams;
  return { response, authorizeUrl, state: params.get("state")!, nonce: params.get("nonce")!, cookie: cookiesFrom(response) };
}

/** Google's redirect back to our callback, as the browser follows it. */
export function googleCallback(params: Record<string, string>, { cookie, env }: { cookie?: string; env?: EnvOverrides } = {}) {
  return getWithGoogle(`/auth/google/callback?${new URLSearchParams(params)}`, { cookie, env });
}

/** The whole redirect round trip with Google answering as mocked (its ID token carries the request's nonce). */
export async function signInWithGoogle(google: GoogleMock, { redirectTo, sessionCookie, env }: { redirectTo?: string; sessionCookie?: string; env?: EnvOverrides } = {}) {
  const start = await startGoogleSignIn(redirectTo, env);
  google.state.nonce = start.nonce;
  const cookie = [start.cookie, sessionCookie].filter(Boolean).join("; ");
  const response = await googleCallback({ code: "4/google-code-1", state: start.state, scope: "openid email profile" }, { cookie, env });
  return { start, response };
}

/** A signed-out visit to a page with One Tap: its nonce (from the page's data) and the nonce cookie. */
export async function openOneTapPage(path = "/login", { cookie, env }: { cookie?: string; env?: EnvOverrides } = {}) {
  const response = await getWithGoogle(path, { cookie, env });
  const html = await response.text();
  const settings = Object.values(await pageLoaderData(html)).map((data) => (data as { oneTap?: { nonce?: unknown } } | null)?.oneTap);
  const nonce = settings.find((oneTap) => typeof oneTap?.nonce === "string")?.nonce as string | undefined;
  if (!nonce) throw new Error(`no One Tap nonce on ${path}`);
  return { response, html, nonce, cookie: [cookie, cookiesFrom(response)].filter(Boolean).join("; ") };
}

export const CSRF = "csrf-token-from-the-page-0123456789abcdef";

/** What our page's One Tap callback posts: the credential, the double-submit token in field and cookie. */
export function postOneTap(
  credential: string,
  { cookie, csrfField = CSRF, csrfCookie = CSRF, redirectTo = "", env, origin }: {
    cookie: string;
    csrfField?: string | null;
    csrfCookie?: string | null;
    redirectTo?: string;
    env?: EnvOverrides;
    origin?: string | null;
  },
) {
  const form: Record<string, string> = { credential, redirectTo };
  if (csrfField !== null) form.g_csrf_token = csrfField;
  const cookies = [cookie, csrfCookie === null ? null : `g_csrf_token=${csrfCookie}`].filter(Boolean).join("; ");
  return postWithGoogle("/auth/google/one-tap", form, { cookie: cookies, env, origin });
}

/** One Tap from start to finish: open the page, get a credential for its nonce, post it. */
export async function signInWithOneTap(user: FakeGoogleUser, { cookie, redirectTo, tokenOptions = {} }: { cookie?: string; redirectTo?: string; tokenOptions?: TokenOptions } = {}) {
  const page = await openOneTapPage("/login", { cookie });
  const credential = await signIdToken(user, { nonce: page.nonce, ...tokenOptions });
  const response = await postOneTap(credential, { cookie: page.cookie, redirectTo });
  return { page, credential, response };
}
