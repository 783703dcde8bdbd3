import { Form, useNavigation } from "@remix-run/react";
import { Field, ONE_TIME_CODE_INPUT } from "./field";

/** The 6-digit code form: posts to /auth/code with the email it was sent to. */
export function CodeForm({ email, error }: { email: string; error?: string }) {
  const navigation = useNavigation();
  const checking = navigation.state !== "idle" && navigation.formAction === "/auth/code";
  return (
    <Form method="post" action="/auth/code" noValidate>
      <input type="hidden" name="email" value={email} />
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

/** One click to send a fresh email to the same address. */
export function ResendForm({ email, label = "Send a new email" }: { email: string; label?: string }) {
  const navigation = useNavigation();
  const sending = navigation.state !== "idle" && navigation.formAction === "/login";
  return (
    <Form method="post" action="/login">
      <input type="hidden" name="email" value={email} />
      <button type="submit" className="secondary" disabled={sending}>
        {sending ? "Sending…" : label}
      </button>
    </Form>
  );
}
