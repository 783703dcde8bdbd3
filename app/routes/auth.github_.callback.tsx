import { data, redirect, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import { completeGitHubSignIn, expiredGitHubCookies } from "~/auth/github/sign-in.server";
import { GITHUB_PROBLEMS, rateLimitedMessage } from "~/auth/messages";
import { readSessionToken } from "~/auth/session/cookies.server";
import { signInResponse } from "~/auth/session/response.server";
import { ProviderProblemPage } from "~/components/provider-problem";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { tooManyRequests } from "~/lib/route-answers.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? GITHUB_PROBLEMS[data.reason].title : "GitHub sign-in"} · Latchkey` },
];

// The URL carries GitHub's one-time code: never hand it to another site through Referer (WEB-3).
export const headers: HeadersFunction = (args) => {
  const headers = new Headers(passThroughRetryAfter(args));
  headers.set("Referrer-Policy", "no-referrer");
  return headers;
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const client = context.client;
  const result = await completeGitHubSignIn(context, {
    request,
    client,
    previousSessionToken: await readSessionToken(request, context.config),
  });
  // The state and redirectTo cookies are single use, whatever happened.
  const headers = new Headers();
  for (const cookie of await expiredGitHubCookies(context.config)) headers.append("Set-Cookie", cookie);

  if (result.ok) {
    const response = await signInResponse(request, context, result.outcome, client);
    headers.forEach((value) => response.headers.append("Set-Cookie", value));
    response.headers.set("Referrer-Policy", "no-referrer");
    throw response;
  }
  if (result.reason === "cancelled") {
    headers.set("Referrer-Policy", "no-referrer");
    throw redirect("/login?github=cancelled", { status: 303, headers });
  }
  if (result.reason === "rate-limited") {
    return tooManyRequests({ reason: result.reason, message: rateLimitedMessage(result.retryAfterSeconds, "attempts") }, result.retryAfterSeconds, headers);
  }
  return data({ reason: result.reason, message: null }, { status: GITHUB_PROBLEMS[result.reason].status, headers });
}

export default function GitHubCallbackProblem() {
  const data = useLoaderData<typeof loader>();
  return <ProviderProblemPage provider="github" reason={data.reason} message={data.message} />;
}
