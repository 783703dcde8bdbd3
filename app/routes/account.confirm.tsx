import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import {
  CODE_MALFORMED,
  lockedMessage,
  rateLimitedMessage,
  SECRET_UNREADABLE_MESSAGE,
  secondFactorMessage,
  secondFactorPausedMessage,
  STEP_UP,
  wrongCodeMessage,
} from "~/auth/messages";
import { requireSignedIn } from "~/auth/session/signed-in.server";
import { hasRecentAuthentication } from "~/auth/guards.server";
import { continueAfterStepUp, parseContinuation } from "~/auth/two-factor/continuations.server";
import { confirmStepUp, sendStepUpCode, stepUpConfirmedPath, stepUpNextPath, stepUpPath } from "~/auth/two-factor/step-up.server";
import { getTwoFactorStatus } from "~/auth/two-factor/enrollment.server";
import { stepUpWithSecondFactor } from "~/auth/two-factor/step-up.server";
import { Field, ONE_TIME_CODE_INPUT } from "~/components/field";
import { SecondFactorForms } from "~/components/second-factor-forms";
import { maskEmail } from "~/lib/email-address";
import { readForm } from "~/lib/form.server";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { CardPage } from "~/components/card-page";
import { PasskeyStepUp } from "~/components/passkeys";
import { countPasskeys } from "~/auth/passkeys/statements.server";
import { tooManyRequests } from "~/lib/route-answers.server";

export const headers = passThroughRetryAfter;

export const meta: MetaFunction = () => [{ title: "Confirm it's you · Latchkey" }];

/** After a successful confirmation: on with the change it was for, or back to where it was asked for. */
async function confirmed(context: ActionFunctionArgs["context"], form: FormData, user: { id: string; email: string }): Promise<never> {
  const then = parseContinuation(form.get("then"));
  const to = then ? await continueAfterStepUp(context, { then, user, client: context.client }) : stepUpConfirmedPath(form.get("next"));
  throw redirect(to, { status: 303 });
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireSignedIn(request, context);
  const [twoFactor, [passkeys]] = await Promise.all([getTwoFactorStatus(context.db, user.id), countPasskeys(context.db, user.id)]);
  const params = new URL(request.url).searchParams;
  return {
    hasPasskey: (passkeys?.count ?? 0) > 0,
    maskedEmail: maskEmail(user.email),
    next: stepUpNextPath(params.get("next")),
    then: parseContinuation(params.get("then")),
    twoFactor: twoFactor.enabled,
    recoveryCodesLeft: twoFactor.recoveryCodesLeft,
  };
}

type ActionData =
  | { state: "sent" }
  | { state: "code-error"; error: string }
  | { state: "second-factor-error"; kind: "totp" | "recovery"; error: string }
  | { state: "error"; error: string };

const limited = (message: string, seconds: number) => tooManyRequests<ActionData>({ state: "error", error: message }, seconds);

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireSignedIn(request, context);
  const form = await readForm(request);
  const client = context.client;
  const code = form.get("code");
  const typed = typeof code === "string" ? code : "";

  // A passkey confirmation happens over the passkey API; the page then posts here to go on with the change.
  if (form.get("intent") === "continue") {
    if (hasRecentAuthentication({ session }, context)) await confirmed(context, form, user);
    const then = parseContinuation(form.get("then")) ?? undefined;
    throw redirect(stepUpPath(stepUpNextPath(form.get("next")), then), { status: 303 });
  }

  if (form.get("intent") === "verify-2fa") {
    const kind = form.get("kind") === "recovery" ? "recovery" : "totp";
    const result = await stepUpWithSecondFactor(context, { sessionId: session.id, userId: user.id, email: user.email, kind, code: typed, client });
    if (result.ok) return await confirmed(context, form, user);
    if (result.reason === "rate-limited") return limited(rateLimitedMessage(result.retryAfterSeconds, "attempts"), result.retryAfterSeconds);
    if (result.reason === "locked") return limited(secondFactorPausedMessage(result.retryAfterSeconds), result.retryAfterSeconds);
    if (result.reason === "secret-unreadable") {
      return data<ActionData>({ state: "second-factor-error", kind: "recovery", error: SECRET_UNREADABLE_MESSAGE }, { status: 409 });
    }
    const error = secondFactorMessage(kind, result.reason);
    return data<ActionData>({ state: "second-factor-error", kind, error }, { status: 400 });
  }

  if (form.get("intent") === "send") {
    const sent = await sendStepUpCode(context, { user, client });
    if (sent.ok) return { state: "sent" } satisfies ActionData;
    if (sent.reason === "rate-limited") return limited(rateLimitedMessage(sent.retryAfterSeconds, "emails"), sent.retryAfterSeconds);
    if (sent.reason === "use-second-factor") {
      return data<ActionData>({ state: "error", error: STEP_UP.useSecondFactor }, { status: 400 });
    }
    return data<ActionData>({ state: "error", error: STEP_UP.mailFailed }, { status: 503 });
  }

  const result = await confirmStepUp(context, { session, user, code: typed, client });
  if (result.ok) return await confirmed(context, form, user);
  switch (result.reason) {
    case "rate-limited":
      return tooManyRequests<ActionData>(
        { state: "code-error", error: rateLimitedMessage(result.retryAfterSeconds, "attempts") },
        result.retryAfterSeconds,
      );
    case "locked":
      return tooManyRequests<ActionData>(
        { state: "code-error", error: lockedMessage(result.retryAfterSeconds, { linkStillWorks: false }) },
        result.retryAfterSeconds,
      );
    case "malformed":
      return data<ActionData>({ state: "code-error", error: CODE_MALFORMED }, { status: 400 });
    case "wrong-code":
      return data<ActionData>({ state: "code-error", error: wrongCodeMessage(result.attemptsLeft) }, { status: 400 });
    case "use-second-factor":
      return data<ActionData>({ state: "error", error: STEP_UP.useSecondFactor }, { status: 400 });
    default:
      return data<ActionData>({ state: "error", error: STEP_UP.codeDead }, { status: 400 });
  }
}

export default function ConfirmItsYou() {
  const { maskedEmail, next, then, twoFactor, recoveryCodesLeft, hasPasskey } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const working = useNavigation().state !== "idle";
  const codeSent = actionData?.state === "sent" || actionData?.state === "code-error";
  const alert =
    actionData?.state === "error" ? (
      <div className="alert error" role="alert">
        {actionData.error}
      </div>
    ) : null;

  // With a passkey on the account, it is offered first: one touch, and phishing-resistant (WAN-3).
  const passkey = hasPasskey ? (
    <div data-passkey-step-up="available">
      <PasskeyStepUp next={next} then={then} />
    </div>
  ) : null;

  const continuing = then ? `To ${STEP_UP.continuing[then]}, confirm it's you. ` : null;
  const carried = { next, ...(then ? { then } : {}) };

  if (twoFactor) {
    return (
      <CardPage title="Confirm it's you">
        <p className="lead">
          {continuing}This change needs a sign-in from the last 10 minutes. Enter a code from your authenticator app instead.
        </p>
        {alert}
        {passkey}
        <SecondFactorForms
          error={actionData?.state === "second-factor-error" ? actionData : null}
          recoveryCodesLeft={recoveryCodesLeft}
          submitLabel="Confirm"
          fields={{ intent: "verify-2fa", ...carried }}
        />
        <p className="muted small">
          <Link to="/account">Cancel</Link>
        </p>
      </CardPage>
    );
  }

  return (
    <CardPage title="Confirm it's you">
      <p className="lead">
        {continuing}This change needs a sign-in from the last 10 minutes. We'll email a code to <span className="nowrap">{maskedEmail}</span>{" "}
        instead.
      </p>
      {alert}
      {codeSent ? null : passkey}
      {actionData?.state === "sent" ? (
        <div className="alert success" role="status">
          {STEP_UP.codeSent}
        </div>
      ) : null}
      {codeSent ? (
        <Form method="post" noValidate>
          <input type="hidden" name="next" value={next} />
          {then ? <input type="hidden" name="then" value={then} /> : null}
          <Field
            label="Confirmation code"
            name="code"
            {...ONE_TIME_CODE_INPUT}
            autoFocus
            error={actionData?.state === "code-error" ? actionData.error : undefined}
          />
          <button type="submit" name="intent" value="verify" className="full" disabled={working}>
            {working ? "Checking…" : "Confirm"}
          </button>
        </Form>
      ) : null}
      <Form method="post" className="actions">
        <button type="submit" name="intent" value="send" className={codeSent || hasPasskey ? "secondary" : undefined} disabled={working}>
          {codeSent ? "Send a new code" : "Email me a code"}
        </button>
        <Link className="button secondary" to="/account">
          Cancel
        </Link>
      </Form>
    </CardPage>
  );
}
