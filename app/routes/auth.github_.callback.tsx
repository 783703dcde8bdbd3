import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import { completeGitHubSignIn, expiredGitHubCookies } from "~/auth/github/sign-in.server";
import { GITHUB_PROBLEMS } from "~/auth/messages";
import { answerProviderCallback, providerCallbackHeaders } from "~/auth/provider-callback.server";
import { readSessionToken } from "~/auth/session/cookies.server";
import { ProviderProblemPage } from "~/components/provider-problem";
import { pageTitle } from "~/lib/page-title";

export const meta: MetaFunction<typeof loader> = ({ data, matches }) => [
  { title: pageTitle(matches, data ? GITHUB_PROBLEMS[data.reason].title : "GitHub sign-in") },
];

export const headers = providerCallbackHeaders;

/** GET /auth/github/callback: GitHub's redirect back, ending in a session, the 2FA step, or a page saying why not. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const result = await completeGitHubSignIn(context, {
    request,
    client: context.client,
    previousSessionToken: await readSessionToken(request, context.config),
  });
  // The state and redirectTo cookies are single use, whatever happened.
  const expiredCookies = await expiredGitHubCookies(context.config);
  // Awaited here, not returned as a promise: a redirect it throws from a returned promise reached Remix
  // as a handled answer *and* an unhandled rejection (caught by the vitest run).
  return await answerProviderCallback(request, context, { provider: "github", result, expiredCookies, problems: GITHUB_PROBLEMS });
}

export default function GitHubCallbackProblem() {
  const data = useLoaderData<typeof loader>();
  return <ProviderProblemPage provider="github" reason={data.reason} message={data.message} />;
}
