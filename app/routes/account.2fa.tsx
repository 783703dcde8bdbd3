import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ENROLLMENT, rateLimitedMessage } from "~/auth/messages";
import { requireRecentAuthentication } from "~/auth/guards.server";
import { confirmTotpEnrollment, getPendingEnrollment } from "~/auth/two-factor/enrollment.server";
import { Field, ONE_TIME_CODE_INPUT } from "~/components/field";
import { RecoveryCodes } from "~/components/recovery-codes";
import { readForm } from "~/lib/form.server";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { CardPage } from "~/components/card-page";
import { tooManyRequests } from "~/lib/route-answers.server";

export const headers = passThroughRetryAfter;

export const meta: MetaFunction = () => [{ title: "Set up two-factor authentication · Latchkey" }];

/** The secret is as sensitive as the change it makes: only a recently signed-in session sees or confirms it. */
const RETURN_TO = "/account#two-factor";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireRecentAuthentication(request, context, RETURN_TO);
  // Null when no enrollment is in progress (finished, expired, or never started). Not a redirect: this
  // loader also runs right after the action that finishes enrollment, whose page shows the codes.
  return { enrollment: await getPendingEnrollment(context, { userId: user.id, email: user.email }) };
}

type ActionData =
  | { state: "enabled"; recoveryCodes: string[]; appHost: string }
  | { state: "error"; error: string }
  | { state: "rate-limited"; message: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireRecentAuthentication(request, context, RETURN_TO);
  const form = await readForm(request);
  const raw = form.get("code");
  const code = typeof raw === "string" ? raw.replace(/[\s-]/g, "") : "";
  if (!/^\d{6}$/.test(code)) {
    return data<ActionData>({ state: "error", error: ENROLLMENT.malformed }, { status: 400 });
  }
  const result = await confirmTotpEnrollment(context, { userId: user.id, email: user.email, sessionId: session.id, code, client: context.client });
  if (result.ok) {
    return { state: "enabled", recoveryCodes: result.recoveryCodes, appHost: new URL(context.config.appUrl).host } satisfies ActionData;
  }
  if (result.reason === "rate-limited") {
    return tooManyRequests<ActionData>(
      { state: "rate-limited", message: rateLimitedMessage(result.retryAfterSeconds, "attempts") },
      result.retryAfterSeconds,
    );
  }
  if (result.reason === "no-enrollment") throw redirect("/account#two-factor", { status: 303 });
  return data<ActionData>({ state: "error", error: ENROLLMENT.mismatch }, { status: 400 });
}

export default function SetUpTwoFactor() {
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  if (actionData?.state === "enabled") {
    return (
      <CardPage title="Two-factor authentication is on">
        <p className="lead">From now on, signing in also asks for a code from your authenticator app.</p>
        <h2>Your recovery codes</h2>
        <RecoveryCodes codes={actionData.recoveryCodes} appHost={actionData.appHost} />
      </CardPage>
    );
  }
  return <EnrollmentForm actionData={actionData} />;
}

function EnrollmentForm({ actionData }: { actionData: ActionData | undefined }) {
  const { enrollment: data } = useLoaderData<typeof loader>();
  const checking = useNavigation().state !== "idle";
  if (!data) {
    return (
      <CardPage title={ENROLLMENT.none.title}>
        <p>{ENROLLMENT.none.message}</p>
        <p>
          <Link className="button" to="/account#two-factor">
            Go to your account
          </Link>
        </p>
      </CardPage>
    );
  }
  return (
    <CardPage title="Set up your authenticator app">
      {actionData?.state === "rate-limited" ? (
        <div className="alert error" role="alert">
          {actionData.message}
        </div>
      ) : null}
      <ol className="steps">
        <li>
          <p>Scan this QR code with your authenticator app.</p>
          <svg
            className="qr"
            viewBox={`0 0 ${data.qr.size} ${data.qr.size}`}
            role="img"
            aria-label="QR code with your authenticator secret"
            shapeRendering="crispEdges"
          >
            <rect width={data.qr.size} height={data.qr.size} className="qr-light" />
            <path d={data.qr.path} className="qr-dark" />
          </svg>
        </li>
        <li>
          <p>Can't scan it? Enter this key instead (time-based, 6 digits):</p>
          <p>
            <code className="secret" data-testid="totp-secret">
              {data.manualKey}
            </code>
          </p>
        </li>
        <li>
          <Form method="post" noValidate>
            <Field
              label="Enter the 6-digit code the app shows"
              name="code"
              {...ONE_TIME_CODE_INPUT}
              error={actionData?.state === "error" ? actionData.error : undefined}
            />
            <button type="submit" className="full" disabled={checking}>
              {checking ? "Checking…" : "Turn on two-factor authentication"}
            </button>
          </Form>
        </li>
      </ol>
      <p className="muted small">
        <Link to="/account">Cancel</Link> — nothing changes until you enter a code.
      </p>
    </CardPage>
  );
}
