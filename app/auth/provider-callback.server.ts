/**
 * How a GitHub or Google callback ends, the same way for both providers: a session (or the 2FA step), back
 * to /login with "cancelled", a 429, or the data of a page saying what went wrong. Whatever happened, the
 * flow's one-time cookies are expired, and the answer never hands the URL (which carries the provider's
 * one-time code) to another site through Referer (WEB-3).
 */
import { data, redirect, type HeadersFunction } from "@remix-run/cloudflare";
import type { AppLoadContext } from "@remix-run/cloudflare";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { tooManyRequests } from "~/lib/route-answers.server";
import { rateLimitedMessage, type Problem } from "./messages";
import type { SignInOutcome } from "./session/start.server";
import { signInResponse } from "./session/response.server";

/** How a GitHub or Google sign-in ends, with the provider's own reasons for stopping (incl. "cancelled"). */
export type ProviderSignInResult<Reason extends string> =
  | { ok: true; outcome: SignInOutcome }
  | { ok: false; reason: Reason }
  | { ok: false; reason: "rate-limited"; retryAfterSeconds: number };

/** A callback page's headers: Retry-After passed through, and no Referer. */
export const providerCallbackHeaders: HeadersFunction = (args) => {
  const headers = new Headers(passThroughRetryAfter(args));
  headers.set("Referrer-Policy", "no-referrer");
  return headers;
};

/** Throws the redirect that signs in or cancels; returns the problem page's data (with its status) otherwise. */
export async function answerProviderCallback<Reason extends string>(
  request: Request,
  context: AppLoadContext,
  {
    provider,
    result,
    expiredCookies,
    problems,
  }: {
    provider: "github" | "google";
    result: ProviderSignInResult<Reason | "cancelled">;
    expiredCookies: string[];
    problems: Record<Exclude<Reason, "cancelled">, Problem>;
  },
) {
  const headers = new Headers();
  for (const cookie of expiredCookies) headers.append("Set-Cookie", cookie);

  if (result.ok) {
    const response = await signInResponse(request, context, result.outcome, context.client);
    headers.forEach((value) => response.headers.append("Set-Cookie", value));
    response.headers.set("Referrer-Policy", "no-referrer");
    throw response;
  }
  if (result.reason === "cancelled") {
    headers.set("Referrer-Policy", "no-referrer");
    throw redirect(`/login?${provider}=cancelled`, { status: 303, headers });
  }
  if (result.reason === "rate-limited" && "retryAfterSeconds" in result) {
    const { retryAfterSeconds } = result;
    return tooManyRequests({ reason: "rate-limited" as const, message: rateLimitedMessage(retryAfterSeconds, "attempts") }, retryAfterSeconds, headers);
  }
  const reason = result.reason as Exclude<Reason, "cancelled">;
  return data({ reason, message: null }, { status: problems[reason].status, headers });
}
