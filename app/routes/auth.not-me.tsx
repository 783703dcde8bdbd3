import {
  data,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { signOutEverywhereWithLink } from "~/auth/account/not-me.server";
import { readSessionToken, serializeExpiredSessionCookie } from "~/auth/session/cookies.server";
import { validateSessionToken } from "~/auth/session/signed-in.server";
import { inspectVerificationToken } from "~/auth/email/verification-tokens.server";
import { NOT_ME_DONE, NOT_ME_PROBLEMS } from "~/auth/messages";
import { maskEmail } from "~/lib/email-address";
import { readForm } from "~/lib/form.server";
import { CardPage } from "~/components/card-page";

export const meta: MetaFunction = () => [{ title: "Sign out everywhere · Latchkey" }];

// The URL carries a secret: never leak it to another site through Referer. Keep the action's cookie.
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const headers = new Headers({ "Referrer-Policy": "no-referrer" });
  const cookie = actionHeaders.get("Set-Cookie");
  if (cookie) headers.set("Set-Cookie", cookie);
  return headers;
};

/** GET only looks (mail scanners prefetch links); the POST from the confirm button does the work. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token");
  const inspection = await inspectVerificationToken(context.db, token, "sign-out-everywhere", context.now());
  if (!inspection.ok) {
    return data({ state: "problem" as const, message: NOT_ME_PROBLEMS[inspection.reason].message }, { status: NOT_ME_PROBLEMS[inspection.reason].status });
  }
  return { state: "ready" as const, token: token!, maskedEmail: maskEmail(inspection.email) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const result = await signOutEverywhereWithLink(context, { token: form.get("token"), client: context.client });
  if (!result.ok) {
    return data({ state: "problem" as const, message: NOT_ME_PROBLEMS[result.reason].message }, { status: NOT_ME_PROBLEMS[result.reason].status });
  }
  // If this browser was signed in to that account, its session ended with the others: drop the cookie.
  // A browser signed in to a different account keeps its session.
  const token = await readSessionToken(request, context.config);
  const stillSignedIn = token !== null && (await validateSessionToken(context.db, token, { now: context.now(), config: context.config }));
  const { sessionsEnded, authenticatorRemoved, recoveryCodesRemoved, passkeysRemoved, githubUnlinked } = result;
  // 200 spelled out: without JavaScript the loader runs after this action and, the link now used, answers
  // 410; under single fetch only an explicit action status outranks the loader's.
  return data(
    { state: "done" as const, sessionsEnded, authenticatorRemoved, recoveryCodesRemoved, passkeysRemoved, githubUnlinked },
    { status: 200, headers: stillSignedIn ? undefined : { "Set-Cookie": await serializeExpiredSessionCookie(context.config) } },
  );
}

export default function NotMe() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const working = useNavigation().state !== "idle";

  if (actionData?.state === "done") {
    const removed = [
      actionData.authenticatorRemoved ? NOT_ME_DONE.authenticatorRemoved : null,
      actionData.recoveryCodesRemoved > 0 ? NOT_ME_DONE.recoveryCodesRemoved(actionData.recoveryCodesRemoved) : null,
      ...actionData.passkeysRemoved.map(NOT_ME_DONE.passkeyRemoved),
      ...actionData.githubUnlinked.map(NOT_ME_DONE.githubUnlinked),
    ].filter((item): item is string => item !== null);
    return (
      <CardPage title="Signed out everywhere">
        <p role="status">{NOT_ME_DONE.sessionsEnded(actionData.sessionsEnded)}</p>
        {removed.length > 0 ? (
          <>
            <p>We also removed what could let someone back in:</p>
            <ul data-testid="undone">
              {removed.map((item) => (
                <li key={item}>{item}</li>
              ))}
            </ul>
          </>
        ) : null}
        <p>
          Sign in again with your email, then turn on two-factor authentication on your account page so a stolen
          email link alone can't get anyone in.
        </p>
        <p>
          <Link className="button" to="/login?redirectTo=%2Faccount" reloadDocument>
            Sign in
          </Link>
        </p>
      </CardPage>
    );
  }
  const problem = actionData?.state === "problem" ? actionData.message : data.state === "problem" ? data.message : null;
  if (problem || data.state !== "ready") {
    return (
      <CardPage title="This link can't be used">
        <p role="alert">{problem}</p>
        <p>
          If you're worried about your account, sign in and use <strong>Sign out everywhere else</strong> on your
          account page.
        </p>
        <p>
          <Link className="button" to="/login?redirectTo=%2Faccount" reloadDocument>
            Sign in
          </Link>
        </p>
      </CardPage>
    );
  }
  return (
    <CardPage title="Sign out everywhere?">
      <p className="lead">
        This signs <span className="nowrap">{data.maskedEmail}</span> out on every device, including the one that just
        signed in, and cancels any sign-in email still on its way.
      </p>
      <Form method="post" replace>
        <input type="hidden" name="token" value={data.token} />
        <button type="submit" className="danger full" disabled={working} autoFocus>
          {working ? "Signing out…" : "Sign out everywhere"}
        </button>
      </Form>
    </CardPage>
  );
}
