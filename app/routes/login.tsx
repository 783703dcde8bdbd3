import { readForm } from "~/lib/form.server";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { describeDestination, rateLimitedMessage, SIGN_IN_MAIL_FAILED, SIGNED_OUT } from "~/auth/messages";
import { readSentState, serializeSentCookie, type SentState } from "~/auth/email/sent-cookie.server";
import type { AppConfig } from "~/lib/env.server";
import { pageTitle } from "~/lib/page-title";
import { getSignedIn } from "~/auth/session/signed-in.server";
import { readDeviceId } from "~/auth/devices/known-devices.server";
import { requestSignInEmail } from "~/auth/email/sign-in.server";
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

export const meta: MetaFunction = ({ matches }) => [{ title: pageTitle(matches, "Sign in") }];

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
      // A protected page sent the person here: say where signing in leads.
      continueTo: params.has("redirectTo") ? describeDestination(redirectTo) : null,
      signedOut: params.get("signedOut") === "1",
      brand: context.config.theme.name,
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
  | { status: "rate-limited"; message: string };

/**
 * Sends the sign-in email, then redirects (Post/Redirect/Get) to /login/sent, whose state is in a signed
 * cookie: reload, back and forward show the same page, and the address never appears in a URL. "Send
 * another" posts `resend` and takes the address from that cookie.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const sent = form.get("resend") ? await readSentState(request, context.config) : null;
  const rawEmail = sent?.email ?? form.get("email");
  const checked = checkEmail(rawEmail);
  if (!checked.ok) {
    const email = typeof rawEmail === "string" ? rawEmail.slice(0, 300) : "";
    return data<ActionData>({ status: "invalid", error: checked.message, email }, { status: 400 });
  }
  const redirectTo = sent ? sent.redirectTo : safeRedirectPath(form.get("redirectTo"));
  const result = await requestSignInEmail(context, {
    email: checked.email,
    redirectTo,
    client: context.client,
    deviceId: await readDeviceId(request, context.config),
  });
  const now = context.now().getTime();
  if (!result.ok && result.reason === "rate-limited") {
    // An email went to this address moments ago: that isn't the person's fault, and the code box for it
    // is what they need (the same answer for every address, ENU-1).
    // If that email's code was spent meanwhile (too many wrong tries), the page says so instead of
    // offering its box.
    if (result.justSent) {
      const previous = sent ?? (await readSentState(request, context.config));
      const codeSpent = previous?.email === checked.email && previous.codeSpent;
      throw await toSentPage(context.config, { email: checked.email, redirectTo, nextSendAt: now + result.retryAfterSeconds * 1000, justSent: true, codeSpent });
    }
    return tooManyRequests<ActionData>({ status: "rate-limited", message: rateLimitedMessage(result.retryAfterSeconds, "emails") }, result.retryAfterSeconds);
  }
  if (!result.ok) return data<ActionData>({ status: "mail-failed" }, { status: 503 });
  // Identical for every well-formed address, known or not (ENU-1).
  throw await toSentPage(context.config, {
    email: checked.email,
    redirectTo,
    nextSendAt: now + context.config.limits.emailSendIntervalMs,
    justSent: false,
    codeSpent: false,
  });
}

async function toSentPage(config: AppConfig, state: SentState): Promise<Response> {
  return redirect("/login/sent", { status: 303, headers: { "Set-Cookie": await serializeSentCookie(config, state) } });
}

export default function Login() {
  const { redirectTo, providers, cancelled, oneTap, email, continueTo, signedOut, brand } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const sending = navigation.state !== "idle" && navigation.formAction?.startsWith("/login");

  return (
    <CardPage title={continueTo ? `Sign in to continue to ${continueTo}` : `Sign in to ${brand}`}>
      {signedOut && !actionData ? (
        <div className="alert success" role="status">
          {SIGNED_OUT}
        </div>
      ) : null}
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
