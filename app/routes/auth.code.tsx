import { readForm } from "~/lib/form.server";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { CODE_MALFORMED, CODE_PROBLEMS, CODE_WITHOUT_EMAIL, lockedMessage, rateLimitedMessage, wrongCodeMessage } from "~/auth/messages";
import { readSessionToken } from "~/auth/session/cookies.server";
import { signInResponse } from "~/auth/session/response.server";
import { isWellFormedCode, redeemCode } from "~/auth/email/sign-in.server";
import { CodeForm, ResendForm } from "~/components/code-form";
import { checkEmail } from "~/lib/email-address";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { CardPage } from "~/components/card-page";
import { tooManyRequests } from "~/lib/route-answers.server";

export const headers = passThroughRetryAfter;

export const meta: MetaFunction = () => [{ title: "Enter your code · Latchkey" }];

// No redirect for a missing email here: this loader also runs to render the action's answer, whose
// URL carries no email (it travels in the form, keeping it out of URLs and logs).
export function loader({ request }: LoaderFunctionArgs) {
  const checked = checkEmail(new URL(request.url).searchParams.get("email"));
  return { email: checked.ok ? checked.email : null };
}

type ActionData = { email: string; error: string; canResend: boolean; redirectTo?: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const checked = checkEmail(form.get("email"));
  if (!checked.ok) {
    throw redirect("/login", { status: 303 });
  }
  const email = checked.email;
  const redirectTo = form.get("redirectTo") ? safeRedirectPath(form.get("redirectTo")) : undefined;
  // People paste codes with spaces or dashes ("123 456"); only the digits matter.
  const rawCode = form.get("code");
  const code = typeof rawCode === "string" ? rawCode.replace(/[\s-]/g, "") : "";
  if (!isWellFormedCode(code)) {
    return data<ActionData>({ email, redirectTo, error: CODE_MALFORMED, canResend: false }, { status: 400 });
  }

  const client = context.client;
  const result = await redeemCode(context, {
    email,
    code,
    client,
    previousSessionToken: await readSessionToken(request, context.config),
  });
  if (result.ok) throw await signInResponse(request, context, result.outcome, client);
  switch (result.reason) {
    case "wrong-code":
      return data<ActionData>({ email, redirectTo, error: wrongCodeMessage(result.attemptsLeft), canResend: false }, { status: 400 });
    case "locked":
      return tooManyRequests<ActionData>(
        { email, redirectTo, error: lockedMessage(result.retryAfterSeconds), canResend: false },
        result.retryAfterSeconds,
      );
    case "rate-limited":
      return tooManyRequests<ActionData>(
        { email, redirectTo, error: rateLimitedMessage(result.retryAfterSeconds, "attempts"), canResend: false },
        result.retryAfterSeconds,
      );
    default:
      return data<ActionData>({ email, redirectTo, error: CODE_PROBLEMS[result.reason], canResend: true }, { status: 400 });
  }
}

export default function EnterCode() {
  const loaderData = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const email = actionData?.email ?? loaderData.email;
  if (!email) {
    return (
      <CardPage title={CODE_WITHOUT_EMAIL.title}>
        <p>{CODE_WITHOUT_EMAIL.message}</p>
        <p>
          <Link className="button" to="/login">
            Enter your email
          </Link>
        </p>
      </CardPage>
    );
  }
  return (
    <CardPage title="Enter your sign-in code">
      <p className="lead">
        We sent a 6-digit code to <strong>{email}</strong>.
      </p>
      <CodeForm email={email} redirectTo={actionData?.redirectTo} error={actionData?.error} />
      <div className="actions">
        <ResendForm email={email} redirectTo={actionData?.redirectTo} label={actionData?.canResend ? "Send a new email" : "Didn't get it? Send a new email"} />
        <Link className="button secondary" to="/login" reloadDocument>
          Use a different email
        </Link>
      </div>
    </CardPage>
  );
}
