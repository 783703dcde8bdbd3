import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { CHECK_EMAIL } from "~/auth/messages";
import { readSentState, serializeExpiredSentCookie } from "~/auth/email/sent-cookie.server";
import { getSignedIn } from "~/auth/session/signed-in.server";
import { CardPage } from "~/components/card-page";
import { CodeForm } from "~/components/code-form";
import { maskEmail } from "~/lib/email-address";
import { pageTitle } from "~/lib/page-title";
import { DEFAULT_REDIRECT } from "~/lib/safe-redirect";

export const meta: MetaFunction = ({ matches }) => [{ title: pageTitle(matches, CHECK_EMAIL.title) }];

/** "Check your email", from the signed cookie the send set: the same page on reload, back and forward. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const sent = await readSentState(request, context.config);
  if (!sent) throw redirect("/login", { status: 303 });
  // Signed in since (back after typing the code): the code box has done its job; go where it led.
  if (await getSignedIn(request, context)) {
    throw redirect(sent.redirectTo ?? DEFAULT_REDIRECT, {
      status: 303,
      headers: { "Set-Cookie": await serializeExpiredSentCookie(context.config) },
    });
  }
  const now = context.now().getTime();
  return {
    maskedEmail: maskEmail(sent.email),
    justSent: sent.justSent,
    // Only while no newer email has gone out: then there is no code to type until one does.
    codeSpent: sent.justSent && sent.codeSpent,
    nextSendInSeconds: Math.max(0, Math.ceil((sent.nextSendAt - now) / 1000)),
    // The default destination isn't carried on: "Use a different email" would otherwise read "Sign in to
    // continue to your dashboard" after a plain sign-in.
    redirectTo: sent.redirectTo === DEFAULT_REDIRECT ? null : sent.redirectTo,
  };
}

export default function CheckYourEmail() {
  const { maskedEmail, justSent, codeSpent, nextSendInSeconds, redirectTo } = useLoaderData<typeof loader>();
  const sending = useNavigation().formAction === "/login";
  const resendOrChange = (
    <Form method="post" action="/login" className="actions">
      <input type="hidden" name="resend" value="1" />
      <button type="submit" className={codeSpent ? undefined : "secondary"} disabled={sending}>
        {sending ? "Sending…" : codeSpent ? "Send a new email" : "Send another email"}
      </button>
      <Link className="button secondary" to={redirectTo ? `/login?redirectTo=${encodeURIComponent(redirectTo)}` : "/login"} reloadDocument>
        Use a different email
      </Link>
    </Form>
  );
  const wait = nextSendInSeconds > 0 ? <p className="muted small">{CHECK_EMAIL.nextIn(nextSendInSeconds)}</p> : null;

  // The last email's code can't work any more and no newer one has gone out yet: only the way forward.
  if (codeSpent) {
    return (
      <CardPage title={CHECK_EMAIL.spentTitle}>
        <p className="alert error" role="alert">
          {CHECK_EMAIL.spent} <strong className="nowrap">{maskedEmail}</strong>.
        </p>
        {resendOrChange}
        {wait}
      </CardPage>
    );
  }

  return (
    <CardPage title={CHECK_EMAIL.title}>
      <p role="status">
        {justSent ? CHECK_EMAIL.justSent : CHECK_EMAIL.sent} <strong className="nowrap">{maskedEmail}</strong>.{" "}
        {CHECK_EMAIL.expires}
      </p>
      <p className="muted">{CHECK_EMAIL.arriving}</p>
      <CodeForm />
      {resendOrChange}
      {wait}
    </CardPage>
  );
}
