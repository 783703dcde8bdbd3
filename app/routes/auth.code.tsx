import { readForm } from "~/lib/form.server";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { CODE_MALFORMED, CODE_PROBLEMS, CODE_WITHOUT_EMAIL, lockedMessage, rateLimitedMessage, wrongCodeMessage } from "~/auth/messages";
import { readSessionToken } from "~/auth/session/cookies.server";
import { signInResponse } from "~/auth/session/response.server";
import { isWellFormedCode, redeemCode } from "~/auth/email/sign-in.server";
import { CodeForm, ResendForm } from "~/components/code-form";
import { checkEmail, maskEmail } from "~/lib/email-address";
import { readSentState, serializeSentCookie } from "~/auth/email/sent-cookie.server";
import { pageTitle } from "~/lib/page-title";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { CardPage } from "~/components/card-page";
import { tooManyRequests } from "~/lib/route-answers.server";

export const headers = passThroughRetryAfter;

export const meta: MetaFunction = ({ matches }) => [{ title: pageTitle(matches, "Enter your code") }];

// No redirect for a missing email here: this loader also runs to render the action's answer, whose
// URL carries no email (it travels in the form, keeping it out of URLs and logs).
export function loader({ request }: LoaderFunctionArgs) {
  const checked = checkEmail(new URL(request.url).searchParams.get("email"));
  return { email: checked.ok ? checked.email : null };
}

type ActionData = { email: string; error: string; canResend: boolean; redirectTo?: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  // The "check your email" page's form carries no address: it is in that page's signed cookie, with
  // where the person was going (kept on this page's "send a new email" form after a wrong code).
  const sent = form.get("email") === null ? await readSentState(request, context.config) : null;
  const checked = checkEmail(form.get("email") ?? sent?.email);
  if (!checked.ok) {
    throw redirect("/login", { status: 303 });
  }
  const email = checked.email;
  const redirectTo = form.get("redirectTo") ? safeRedirectPath(form.get("redirectTo")) : (sent?.redirectTo ?? undefined);
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
    default: {
      // Remembered on the check-your-email cookie, so "Send a new email" within the spacing doesn't offer
      // a box for this code again.
      const spent = await serializeSentCookie(context.config, {
        email,
        redirectTo: redirectTo ?? null,
        nextSendAt: sent?.email === email ? sent.nextSendAt : context.now().getTime(),
        justSent: false,
        codeSpent: true,
      });
      return data<ActionData>({ email, redirectTo, error: CODE_PROBLEMS[result.reason], canResend: true }, { status: 400, headers: { "Set-Cookie": spent } });
    }
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
  // A code that can no longer work (burned, used, expired, superseded): only the way forward is shown.
  if (actionData?.canResend) {
    return (
      <CardPage title="Send a new email">
        <p className="alert error" role="alert">
          {actionData.error}
        </p>
        <div className="actions">
          <ResendForm email={email} redirectTo={actionData.redirectTo} label="Send a new email" primary />
          <Link className="button secondary" to="/login" reloadDocument>
            Use a different email
          </Link>
        </div>
      </CardPage>
    );
  }
  return (
    <CardPage title="Enter your sign-in code">
      <p className="lead">
        We sent a 6-digit code to <strong>{maskEmail(email)}</strong>.
      </p>
      <CodeForm email={email} redirectTo={actionData?.redirectTo} error={actionData?.error} />
      <div className="actions">
        <ResendForm email={email} redirectTo={actionData?.redirectTo} label="Didn't get it? Send a new email" />
        <Link className="button secondary" to="/login" reloadDocument>
          Use a different email
        </Link>
      </div>
    </CardPage>
  );
}
