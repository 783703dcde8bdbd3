import { data, redirect, type ActionFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useActionData } from "@remix-run/react";
import { CardPage } from "~/components/card-page";
import { CSRF_COOKIE, completeGoogleOneTap } from "~/auth/google/sign-in.server";
import { serializeExpiredOneTapNonce } from "~/auth/google/one-tap-nonces.server";
import { GOOGLE_PROBLEMS, rateLimitedMessage } from "~/auth/messages";
import { readSessionToken } from "~/auth/session/cookies.server";
import { signInResponse } from "~/auth/session/response.server";
import { ProviderProblemPage } from "~/components/provider-problem";
import { readForm } from "~/lib/form.server";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { tooManyRequests } from "~/lib/route-answers.server";

export const headers = passThroughRetryAfter;

export const meta: MetaFunction<unknown, never> = () => [{ title: "Google sign-in · Latchkey" }];

/** Nothing happens on a GET (One Tap only ever posts here); the page points to the sign-in page. */
export function loader() {
  return null;
}

/**
 * POST /auth/google/one-tap: the credential from Google's One Tap, posted by our own page with the
 * double-submit g_csrf_token; ends in a session, the 2FA step, or a page saying why not.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const client = context.client;
  const result = await completeGoogleOneTap(context, {
    request,
    form: await readForm(request),
    client,
    previousSessionToken: await readSessionToken(request, context.config),
  });
  // The double-submit value and this browser's nonce are single use: the next prompt gets new ones.
  const headers = new Headers();
  headers.append("Set-Cookie", `${CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict${context.config.secureCookies ? "; Secure" : ""}`);
  headers.append("Set-Cookie", await serializeExpiredOneTapNonce(context.config));

  if (result.ok) {
    const response = await signInResponse(request, context, result.outcome, client);
    headers.forEach((value) => response.headers.append("Set-Cookie", value));
    return response;
  }
  if (result.reason === "cancelled") return redirect("/login?google=cancelled", { status: 303, headers });
  if (result.reason === "rate-limited") {
    return tooManyRequests({ reason: result.reason, message: rateLimitedMessage(result.retryAfterSeconds, "attempts") }, result.retryAfterSeconds, headers);
  }
  return data({ reason: result.reason, message: null }, { status: GOOGLE_PROBLEMS[result.reason].status, headers });
}

export default function GoogleOneTapProblem() {
  const data = useActionData<typeof action>() as { reason: keyof typeof GOOGLE_PROBLEMS; message: string | null } | undefined;
  if (!data) {
    return (
      <CardPage title="Sign in with Google">
        <p>Google One Tap signs you in from the sign-in page.</p>
        <p>
          <Link className="button" to="/login">
            Go to the sign-in page
          </Link>
        </p>
      </CardPage>
    );
  }
  return <ProviderProblemPage provider="google" reason={data.reason} message={data.message} />;
}
