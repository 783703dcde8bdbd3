import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { PENDING_SIGN_IN_EXPIRED, rateLimitedMessage, SECRET_UNREADABLE_MESSAGE, secondFactorMessage, secondFactorPausedMessage } from "~/auth/messages";
import { readPendingToken, serializeExpiredPendingCookie } from "~/auth/session/cookies.server";
import { readSessionToken } from "~/auth/session/cookies.server";
import { signInResponse } from "~/auth/session/response.server";
import { completeSecondFactor, findPendingSignIn } from "~/auth/two-factor/second-step.server";
import { SecondFactorForms } from "~/components/second-factor-forms";
import { maskEmail } from "~/lib/email-address";
import { readForm } from "~/lib/form.server";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { CardPage } from "~/components/card-page";
import { tooManyRequests } from "~/lib/route-answers.server";

export const headers = passThroughRetryAfter;

export const meta: MetaFunction = () => [{ title: "Two-factor authentication · Latchkey" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const pending = await findPendingSignIn(context, await readPendingToken(request, context.config));
  if (!pending) return data({ state: "expired" as const }, { status: 400 });
  return {
    state: "ready" as const,
    maskedEmail: maskEmail(pending.email),
    attemptsLeft: pending.attemptsLeft,
    recoveryCodesLeft: pending.recoveryCodesLeft,
  };
}

type ActionData =
  | { state: "expired" }
  | { state: "error"; kind: "totp" | "recovery"; error: string }
  | { state: "rate-limited"; message: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const kind = form.get("kind") === "recovery" ? "recovery" : "totp";
  const code = form.get("code");
  const client = context.client;
  const result = await completeSecondFactor(context, {
    pendingToken: await readPendingToken(request, context.config),
    kind,
    code: typeof code === "string" ? code : "",
    client,
    previousSessionToken: await readSessionToken(request, context.config),
  });
  if (result.ok) throw await signInResponse(request, context, result.outcome, client);
  switch (result.reason) {
    case "rate-limited":
      return tooManyRequests<ActionData>(
        { state: "rate-limited", message: rateLimitedMessage(result.retryAfterSeconds, "attempts") },
        result.retryAfterSeconds,
      );
    case "locked":
      return tooManyRequests<ActionData>(
        { state: "rate-limited", message: secondFactorPausedMessage(result.retryAfterSeconds) },
        result.retryAfterSeconds,
      );
    case "secret-unreadable":
      return data<ActionData>({ state: "error", kind: "recovery", error: SECRET_UNREADABLE_MESSAGE }, { status: 409 });
    case "expired":
      return data<ActionData>(
        { state: "expired" },
        { status: 400, headers: { "Set-Cookie": await serializeExpiredPendingCookie(context.config) } },
      );
    default: {
      const attemptsLeft = result.reason === "malformed" ? undefined : result.attemptsLeft;
      return data<ActionData>({ state: "error", kind, error: secondFactorMessage(kind, result.reason, attemptsLeft) }, { status: 400 });
    }
  }
}

export default function TwoFactorStep() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;

  if (data.state === "expired" || actionData?.state === "expired") {
    return (
      <CardPage title={PENDING_SIGN_IN_EXPIRED.title}>
        <p role="alert">{PENDING_SIGN_IN_EXPIRED.message}</p>
        <p>
          <Link className="button" to="/login" reloadDocument>
            Sign in
          </Link>
        </p>
      </CardPage>
    );
  }

  const error = actionData?.state === "error" ? actionData : null;
  return (
    <CardPage title="Two-factor authentication">
      <p className="lead">
        Signing in as <span className="nowrap">{data.maskedEmail}</span>. Enter the code from your authenticator app.
      </p>
      {actionData?.state === "rate-limited" ? (
        <div className="alert error" role="alert">
          {actionData.message}
        </div>
      ) : null}
      <SecondFactorForms error={error} recoveryCodesLeft={data.recoveryCodesLeft} submitLabel="Verify" />
      <p className="muted small">
        Not you, or want to use another account? <Link to="/login" reloadDocument>Start over</Link>.
      </p>
    </CardPage>
  );
}
