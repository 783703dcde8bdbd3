import { Form, useNavigation } from "@remix-run/react";
import { Field, ONE_TIME_CODE_INPUT } from "./field";

export type SecondFactorError = { kind: "totp" | "recovery"; error: string } | null;

/**
 * The authenticator-code form, and behind a disclosure (works without JavaScript) the recovery-code
 * form. Used by the sign-in's second step and by step-up; `fields` adds hidden inputs to both.
 */
export function SecondFactorForms({
  error,
  recoveryCodesLeft,
  submitLabel,
  fields = {},
}: {
  error: SecondFactorError;
  recoveryCodesLeft: number;
  submitLabel: string;
  fields?: Record<string, string>;
}) {
  const checking = useNavigation().state !== "idle";
  const hidden = Object.entries(fields).map(([name, value]) => <input key={name} type="hidden" name={name} value={value} />);
  return (
    <>
      <Form method="post" noValidate>
        {hidden}
        <input type="hidden" name="kind" value="totp" />
        <Field
          label="Authenticator code"
          name="code"
          {...ONE_TIME_CODE_INPUT}
          autoFocus={error?.kind !== "recovery"}
          error={error?.kind === "totp" ? error.error : undefined}
        />
        <button type="submit" className="full" disabled={checking}>
          {checking ? "Checking…" : submitLabel}
        </button>
      </Form>
      <details className="disclosure" open={error?.kind === "recovery"}>
        <summary>Lost your phone? Use a recovery code</summary>
        <Form method="post" noValidate>
          {hidden}
          <input type="hidden" name="kind" value="recovery" />
          <Field
            label="Recovery code"
            name="code"
            id="field-recovery-code"
            hint={`One of the codes you saved when you turned on two-factor authentication (${recoveryCodesLeft} unused). Each works once.`}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={40}
            required
            error={error?.kind === "recovery" ? error.error : undefined}
          />
          <button type="submit" className="secondary full" disabled={checking}>
            Use recovery code
          </button>
        </Form>
      </details>
    </>
  );
}
