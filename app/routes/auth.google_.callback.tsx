import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import { completeGoogleSignIn, expiredGoogleCookies } from "~/auth/google/sign-in.server";
import { GOOGLE_PROBLEMS } from "~/auth/messages";
import { answerProviderCallback, providerCallbackHeaders } from "~/auth/provider-callback.server";
import { readSessionToken } from "~/auth/session/cookies.server";
import { ProviderProblemPage } from "~/components/provider-problem";
import { pageTitle } from "~/lib/page-title";

export const meta: MetaFunction<typeof loader> = ({ data, matches }) => [
  { title: pageTitle(matches, data ? GOOGLE_PROBLEMS[data.reason].title : "Google sign-in") },
];

export const headers = providerCallbackHeaders;

/** GET /auth/google/callback: Google's redirect back, ending in a session, the 2FA step, or a page saying why not. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const result = await completeGoogleSignIn(context, {
    request,
    client: context.client,
    previousSessionToken: await readSessionToken(request, context.config),
  });
  // The state cookie is single use, whatever happened.
  const expiredCookies = await expiredGoogleCookies(context.config);
  // Awaited here, not returned as a promise: a redirect it throws from a returned promise reached Remix
  // as a handled answer *and* an unhandled rejection (caught by the vitest run).
  return await answerProviderCallback(request, context, { provider: "google", result, expiredCookies, problems: GOOGLE_PROBLEMS });
}

export default function GoogleCallbackProblem() {
  const data = useLoaderData<typeof loader>();
  return <ProviderProblemPage provider="google" reason={data.reason} message={data.message} />;
}
