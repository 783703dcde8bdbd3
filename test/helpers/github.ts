/** Steps of a GitHub sign-in through the real Worker, with GitHub sign-in configured by env overrides. */
import { fetchWithEnv, url } from "./app";
import { GITHUB_ENV } from "../mocks/github";

type EnvOverrides = Partial<Record<keyof Env, unknown>>;

/** A GET to the Worker with GitHub configured (or other overrides), waiting for its after-response work. */
export function getWithGitHub(path: string, { cookie, env = GITHUB_ENV }: { cookie?: string; env?: EnvOverrides } = {}) {
  const target = url(path);
  const headers = new Headers({ Host: new URL(target).host, "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" });
  if (cookie) headers.set("Cookie", cookie);
  return fetchWithEnv(new Request(target, { headers, redirect: "manual" }), env);
}

/** Every Set-Cookie of a response as `name=value` pairs, ready to send back in one Cookie header. */
export function cookiesFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .filter((pair) => !pair.endsWith("="))
    .join("; ");
}

export function setCookieNamed(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
}

/** GET /auth/github: the authorize URL GitHub would see and the cookies the browser would keep. */
export async function startGitHubSignIn(redirectTo?: string, env?: EnvOverrides) {
  const response = await getWithGitHub(redirectTo ? `/auth/github?redirectTo=${encodeURIComponent(redirectTo)}` : "/auth/github", { env });
  if (response.status !== 302) throw new Error(`GET /auth/github answered ${response.status}`);
  const authorizeUrl = new URL(response.headers.get("Location")!);
  return { response, authorizeUrl, state: authorizeUrl.searchParams.get("state")!, cookie: cookiesFrom(response) };
}

/** GitHub's redirect back to our callback, as the browser follows it. */
export function gitHubCallback(params: Record<string, string>, { cookie, env }: { cookie?: string; env?: EnvOverrides } = {}) {
  return getWithGitHub(`/auth/github/callback?${new URLSearchParams(params)}`, { cookie, env });
}

/** The whole round trip with GitHub answering as mocked: start, then come back with a code. */
export async function signInWithGitHub({ redirectTo, sessionCookie }: { redirectTo?: string; sessionCookie?: string } = {}) {
  const start = await startGitHubSignIn(redirectTo);
  const cookie = [start.cookie, sessionCookie].filter(Boolean).join("; ");
  const response = await gitHubCallback({ code: "github-code-1", state: start.state }, { cookie });
  return { start, response };
}

/** base64url(SHA-256(verifier)): the S256 code challenge (RFC 7636). */
export async function s256(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...digest)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
