import { readForm } from "~/lib/form.server";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { rateLimitedMessage, SIGN_IN_MAIL_FAILED } from "~/auth/messages";
import { getSignedIn } from "~/auth/session/signed-in.server";
import { readDeviceId } from "~/auth/devices/known-devices.server";
import { requestSignInEmail } from "~/auth/email/sign-in.server";
import { CodeForm } from "~/components/code-form";
import { Field } from "~/components/field";
import { checkEmail } from "~/lib/email-address";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { DEFAULT_REDIRECT, safeRedirectPath } from "~/lib/safe-redirect";
import { CardPage } from "~/components/card-page";
import { PasskeySignIn } from "~/components/passkeys";
import { prepareOneTap } from "~/auth/google/one-tap.server";
import { GoogleOneTap } from "~/components/google-one-tap";
import { ProviderButtons } from "~/components/provider-buttons";
import { tooManyRequests } from "~/lib/route-answers.server";

export const headers = passThroughRetryAfter;

export const meta: MetaFunction = () => [{ title: "Sign in · Latchkey" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const params = new URL(request.url).searchParams;
  const redirectTo = safeRedirectPath(params.get("redirectTo"));
  // Already signed in: nothing to do here.
  if (await getSignedIn(request, context)) throw redirect(redirectTo, { status: 303 });
  const { oneTap, headers } = await prepareOneTap(context, { request, signedIn: false });
  // ?email= prefills the address: an app's login_hint arrives this way from /oauth/authorize.
  const hint = checkEmail(params.get("email"));
  return data(
    {
      redirectTo,
      email: hint.ok ? hint.email : undefined,
      // Shown only when configured (or when the local stand-ins run).
      providers: (["github", "google"] as const).filter((provider) => context.config[provider] !== null),
      cancelled: params.get("github") === "cancelled" ? ("github" as const) : params.get("google") === "cancelled" ? ("google" as const) : null,
      oneTap,
    },
    { headers },
  );
}

type ActionData =
  | { status: "invalid"; error: string; email: string }
  | { status: "mail-failed" }
  | { status: "rate-limited"; message: string }
  | { status: "sent"; email: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const rawEmail = form.get("email");
  const checked = checkEmail(rawEmail);
  if (!checked.ok) {
    const email = typeof rawEmail === "string" ? rawEmail.slice(0, 300) : "";
    return data<ActionData>({ status: "invalid", error: checked.message, email }, { status: 400 });
  }
  const result = await requestSignInEmail(context, {
    email: checked.email,
    redirectTo: safeRedirectPath(form.get("redirectTo")),
    client: context.client,
    deviceId: await readDeviceId(request, context.config),
  });
  if (!result.ok && result.reason === "rate-limited") {
    return tooManyRequests<ActionData>({ status: "rate-limited", message: rateLimitedMessage(result.retryAfterSeconds, "emails") }, result.retryAfterSeconds);
  }
  if (!result.ok) return data<ActionData>({ status: "mail-failed" }, { status: 503 });
  // Identical for every well-formed address, known or not (ENU-1).
  return { status: "sent", email: checked.email } satisfies ActionData;
}

export default function Login() {
  const { redirectTo, providers, cancelled, oneTap, email } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const sending = navigation.state !== "idle" && navigation.formAction?.startsWith("/login");

  if (actionData?.status === "sent") {
    return (
      <CardPage title="Check your email">
        <p role="status">
          We sent a sign-in link and code to <strong>{actionData.email}</strong>. They work once and expire in
          10 minutes.
        </p>
        <p className="muted">Open the link on this device, or type the code here:</p>
        <CodeForm email={actionData.email} redirectTo={redirectTo === DEFAULT_REDIRECT ? undefined : redirectTo} />
        <Form method="post" className="actions">
          <input type="hidden" name="email" value={actionData.email} />
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <button type="submit" className="secondary" disabled={sending}>
            {sending ? "Sending…" : "Send another email"}
          </button>
          <Link className="button secondary" to={`/login?redirectTo=${encodeURIComponent(redirectTo)}`} reloadDocument>
            Use a different email
          </Link>
        </Form>
      </CardPage>
    );
  }

  return (
    <CardPage title="Sign in to Latchkey">
      <p className="lead">
        Enter your email and we'll send you a link and a code to sign in. New here? The same email creates your account.
      </p>
      <PasskeySignIn redirectTo={redirectTo === DEFAULT_REDIRECT ? null : redirectTo} divider={providers.length === 0} />
      <ProviderButtons providers={providers} redirectTo={redirectTo} cancelled={actionData ? null : cancelled} />
      <GoogleOneTap settings={oneTap} redirectTo={redirectTo} />
      {actionData?.status === "mail-failed" ? (
        <div className="alert error" role="alert">
          {SIGN_IN_MAIL_FAILED}
        </div>
      ) : null}
      {actionData?.status === "rate-limited" ? (
        <div className="alert error" role="alert">
          {actionData.message}
        </div>
      ) : null}
      <Form method="post" noValidate>
        <input type="hidden" name="redirectTo" value={redirectTo === DEFAULT_REDIRECT ? "" : redirectTo} />
        <Field
          label="Email address"
          name="email"
          type="email"
          // "webauthn" lets the browser offer passkeys in this field's autofill (conditional UI).
          autoComplete="username webauthn"
          inputMode="email"
          required
          maxLength={254}
          defaultValue={actionData?.status === "invalid" ? actionData.email : email}
          error={actionData?.status === "invalid" ? actionData.error : undefined}
        />
        <button type="submit" className="full" disabled={sending}>
          {sending ? "Sending…" : "Email me a sign-in link"}
        </button>
      </Form>
    </CardPage>
  );
}
