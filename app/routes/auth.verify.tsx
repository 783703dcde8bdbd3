import { readForm } from "~/lib/form.server";
import {
  data,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readSessionToken } from "~/auth/session/cookies.server";
import { signInResponse } from "~/auth/session/response.server";
import { redeemMagicLink } from "~/auth/email/sign-in.server";
import { inspectVerificationToken } from "~/auth/email/verification-tokens.server";
import { LINK_PROBLEMS, PRESS_THE_BUTTON, rateLimitedMessage, WAIT_TITLE } from "~/auth/messages";
import { maskEmail } from "~/lib/email-address";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { isPersonStartedNavigation } from "~/lib/fetch-metadata";
import { CardPage } from "~/components/card-page";
import { tooManyRequests } from "~/lib/route-answers.server";

export const meta: MetaFunction = () => [{ title: "Confirm sign-in · Latchkey" }];

// The URL carries a secret: never leak it to another site through Referer.
export const headers: HeadersFunction = (args) => {
  const headers = new Headers(passThroughRetryAfter(args));
  headers.set("Referrer-Policy", "no-referrer");
  return headers;
};

/** GET (and HEAD) only looks: mail scanners prefetch links, so consuming here would burn them (TOK-7). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token");
  const inspection = await inspectVerificationToken(context.db, token, "sign-in", context.now());
  if (!inspection.ok) {
    return data({ state: "problem" as const, reason: inspection.reason }, { status: LINK_PROBLEMS[inspection.reason].status });
  }
  return { state: "ready" as const, token: token!, maskedEmail: maskEmail(inspection.email) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  // A scanner that "presses" the button gets the page again, not a session, and the link stays unused.
  if (!isPersonStartedNavigation(request)) {
    const token = form.get("token");
    return data({ reason: "press-the-button" as const, token: typeof token === "string" ? token : "", message: null }, { status: 400 });
  }
  const client = context.client;
  const result = await redeemMagicLink(context, {
    token: form.get("token"),
    client,
    previousSessionToken: await readSessionToken(request, context.config),
  });
  if (!result.ok && result.reason === "rate-limited") {
    return tooManyRequests(
      { reason: "rate-limited" as const, message: rateLimitedMessage(result.retryAfterSeconds, "attempts") },
      result.retryAfterSeconds,
    );
  }
  if (!result.ok) {
    // Links are never guessed against, so the code-only outcomes can't happen here; map them anyway.
    const reason = result.reason in LINK_PROBLEMS ? (result.reason as keyof typeof LINK_PROBLEMS) : "invalid";
    return data({ reason, message: null }, { status: LINK_PROBLEMS[reason].status });
  }
  throw await signInResponse(request, context, result.outcome, client);
}

export default function VerifySignIn() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  if (actionData?.reason === "rate-limited") {
    return (
      <CardPage title={WAIT_TITLE}>
        <p role="alert">{actionData.message}</p>
      </CardPage>
    );
  }
  const again = actionData?.reason === "press-the-button" ? actionData.token : null;
  const problem = actionData && actionData.reason !== "press-the-button" ? actionData.reason : data.state === "problem" && again === null ? data.reason : null;

  if (problem) {
    const copy = LINK_PROBLEMS[problem];
    return (
      <CardPage title={<>{copy.title}</>}>
        <p>{copy.message}</p>
        <p>
          <Link className="button" to="/login">
            Get a new sign-in link
          </Link>
        </p>
      </CardPage>
    );
  }

  const token = again ?? (data.state === "ready" ? data.token : null);
  if (token === null) return null;
  const signingIn = navigation.state !== "idle";
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        <h1 id="title">
          {data.state === "ready" ? (
            <>
              Sign in as <span className="nowrap">{data.maskedEmail}</span>?
            </>
          ) : (
            "Finish signing in?"
          )}
        </h1>
        <p className="lead">Confirm to finish signing in on this device. If you didn't ask to sign in, close this page.</p>
        {again !== null ? (
          <p className="alert" role="alert">
            {PRESS_THE_BUTTON}
          </p>
        ) : null}
        <Form method="post" action="/auth/verify" replace>
          <input type="hidden" name="token" value={token} />
          <button type="submit" className="full" disabled={signingIn} autoFocus>
            {signingIn ? "Signing in…" : "Sign in"}
          </button>
        </Form>
      </section>
    </main>
  );
}
