import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { rateLimitedMessage, wrongCodeMessage } from "~/auth/messages";
import { requireSignedIn } from "~/auth/session.server";
import { confirmStepUp, sendStepUpCode } from "~/auth/step-up.server";
import { Field } from "~/components/field";
import { maskEmail } from "~/lib/email-address";
import { readForm } from "~/lib/form.server";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { safeRedirectPath } from "~/lib/safe-redirect";

export const headers = passThroughRetryAfter;

export const meta: MetaFunction = () => [{ title: "Confirm it's you · Latchkey" }];

/** Only account pages are worth coming back to; anything else lands on the account page. */
function nextPath(value: unknown): string {
  const path = safeRedirectPath(value, "/account");
  return path.startsWith("/account") ? path : "/account";
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireSignedIn(request, context);
  return { maskedEmail: maskEmail(user.email), next: nextPath(new URL(request.url).searchParams.get("next")) };
}

type ActionData =
  | { state: "sent" }
  | { state: "code-error"; error: string }
  | { state: "error"; error: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireSignedIn(request, context);
  const form = await readForm(request);
  const client = context.client;
  if (form.get("intent") === "send") {
    const sent = await sendStepUpCode(context, { user, client });
    if (sent.ok) return json<ActionData>({ state: "sent" });
    if (sent.reason === "rate-limited") {
      return json<ActionData>(
        { state: "error", error: rateLimitedMessage(sent.retryAfterSeconds, "emails") },
        { status: 429, headers: { "Retry-After": String(sent.retryAfterSeconds) } },
      );
    }
    return json<ActionData>({ state: "error", error: "We couldn't send the email just now. Please try again in a moment." }, { status: 503 });
  }

  const code = form.get("code");
  const result = await confirmStepUp(context, { session, user, code: typeof code === "string" ? code : "", client });
  if (result.ok) {
    const next = new URL(nextPath(form.get("next")), "https://latchkey.invalid");
    next.searchParams.set("confirmed", "1");
    throw redirect(next.pathname + next.search + next.hash, { status: 303 });
  }
  switch (result.reason) {
    case "rate-limited":
      return json<ActionData>(
        { state: "code-error", error: rateLimitedMessage(result.retryAfterSeconds, "attempts") },
        { status: 429, headers: { "Retry-After": String(result.retryAfterSeconds) } },
      );
    case "malformed":
      return json<ActionData>({ state: "code-error", error: "Enter the 6-digit code from the email." }, { status: 400 });
    case "wrong-code":
      return json<ActionData>({ state: "code-error", error: wrongCodeMessage(result.attemptsLeft) }, { status: 400 });
    default:
      return json<ActionData>(
        { state: "error", error: "That code has expired, was used, or had too many wrong tries. Send a new one." },
        { status: 400 },
      );
  }
}

export default function ConfirmItsYou() {
  const { maskedEmail, next } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const working = navigation.state !== "idle";
  const codeSent = actionData?.state === "sent" || actionData?.state === "code-error";
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        <h1 id="title">Confirm it's you</h1>
        <p className="lead">
          This change needs a sign-in from the last 10 minutes. We'll email a code to <span className="nowrap">{maskedEmail}</span>{" "}
          instead.
        </p>
        {actionData?.state === "error" ? (
          <div className="alert error" role="alert">
            {actionData.error}
          </div>
        ) : null}
        {actionData?.state === "sent" ? (
          <div className="alert success" role="status">
            We sent a 6-digit code. It expires in 10 minutes.
          </div>
        ) : null}
        {codeSent ? (
          <Form method="post" noValidate>
            <input type="hidden" name="next" value={next} />
            <Field
              label="Confirmation code"
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]*"
              maxLength={12}
              required
              autoFocus
              className="code-input"
              error={actionData?.state === "code-error" ? actionData.error : undefined}
            />
            <button type="submit" name="intent" value="verify" className="full" disabled={working}>
              {working ? "Checking…" : "Confirm"}
            </button>
          </Form>
        ) : null}
        <Form method="post" className="actions">
          <button type="submit" name="intent" value="send" className={codeSent ? "secondary" : undefined} disabled={working}>
            {codeSent ? "Send a new code" : "Email me a code"}
          </button>
          <Link className="button secondary" to="/account">
            Cancel
          </Link>
        </Form>
      </section>
    </main>
  );
}
