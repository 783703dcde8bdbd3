import { Form, useNavigation } from "@remix-run/react";
import type { FormEvent } from "react";
import { Field, ONE_TIME_CODE_INPUT } from "./field";

/**
 * The 6-digit code form: posts to /auth/code with the email it was sent to, and where to go afterwards
 * (only used if a new email has to be sent from that page; the code's own token remembers it too).
 */
export function CodeForm({ email, redirectTo, error }: { email?: string; redirectTo?: string; error?: string }) {
  const navigation = useNavigation();
  const checking = navigation.state !== "idle" && navigation.formAction === "/auth/code";
  return (
    <Form method="post" action="/auth/code" noValidate>
      {/* Without an address here, /auth/code takes it from the "check your email" cookie. */}
      {email ? <input type="hidden" name="email" value={email} /> : null}
      {redirectTo ? <input type="hidden" name="redirectTo" value={redirectTo} /> : null}
      <Field
        label="Sign-in code"
        name="code"
        hint="The 6-digit code from the same email."
        {...ONE_TIME_CODE_INPUT}
        autoFocus
        onInput={submitWhenComplete}
        error={error}
      />
      <button type="submit" className="full" disabled={checking}>
        {checking ? "Checking…" : "Sign in with code"}
      </button>
    </Form>
  );
}

/**
 * With JavaScript, typing or pasting the sixth digit submits the form (the button still works, and
 * without JavaScript it is the only way). Spaces and dashes in a pasted code don't count.
 */
export function submitWhenComplete(event: FormEvent<HTMLInputElement>) {
  const input = event.currentTarget;
  const digits = input.value.replace(/\D/g, "");
  // Remember which code went, not just that one did: the same code isn't sent twice, but after "That code
  // isn't right" the form stays on the page and the next code typed must submit too.
  if (digits.length === 6 && input.form && input.form.dataset.submitted !== digits) {
    input.form.dataset.submitted = digits;
    input.form.requestSubmit();
  }
}

/** One click to send a fresh email to the same address, keeping where the person was going. */
export function ResendForm({ email, redirectTo, label = "Send a new email", primary = false }: { email: string; redirectTo?: string; label?: string; primary?: boolean }) {
  const navigation = useNavigation();
  const sending = navigation.state !== "idle" && navigation.formAction === "/login";
  return (
    <Form method="post" action="/login">
      <input type="hidden" name="email" value={email} />
      {redirectTo ? <input type="hidden" name="redirectTo" value={redirectTo} /> : null}
      <button type="submit" className={primary ? undefined : "secondary"} disabled={sending}>
        {sending ? "Sending…" : label}
      </button>
    </Form>
  );
}
