import { Form, useNavigation } from "@remix-run/react";
import { Field, ONE_TIME_CODE_INPUT } from "./field";

/**
 * The 6-digit code form: posts to /auth/code with the email it was sent to, and where to go afterwards
 * (only used if a new email has to be sent from that page; the code's own token remembers it too).
 */
export function CodeForm({ email, redirectTo, error }: { email: string; redirectTo?: string; error?: string }) {
  const navigation = useNavigation();
  const checking = navigation.state !== "idle" && navigation.formAction === "/auth/code";
  return (
    <Form method="post" action="/auth/code" noValidate>
      <input type="hidden" name="email" value={email} />
      {redirectTo ? <input type="hidden" name="redirectTo" value={redirectTo} /> : null}
      <Field
        label="Sign-in code"
        name="code"
        hint="The 6-digit code from the same email."
        {...ONE_TIME_CODE_INPUT}
        error={error}
      />
      <button type="submit" className="full" disabled={checking}>
        {checking ? "Checking…" : "Sign in with code"}
      </button>
    </Form>
  );
}

/** One click to send a fresh email to the same address, keeping where the person was going. */
export function ResendForm({ email, redirectTo, label = "Send a new email" }: { email: string; redirectTo?: string; label?: string }) {
  const navigation = useNavigation();
  const sending = navigation.state !== "idle" && navigation.formAction === "/login";
  return (
    <Form method="post" action="/login">
      <input type="hidden" name="email" value={email} />
      {redirectTo ? <input type="hidden" name="redirectTo" value={redirectTo} /> : null}
      <button type="submit" className="secondary" disabled={sending}>
        {sending ? "Sending…" : label}
      </button>
    </Form>
  );
}
