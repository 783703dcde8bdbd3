import { useEffect, useRef, type InputHTMLAttributes } from "react";

/**
 * A labelled input whose error text is tied to it (aria-describedby, aria-invalid) and which takes
 * focus when it has an error: on first load through autoFocus (works without JavaScript), and after a
 * client-side submission through the effect.
 */
export function Field({
  label,
  name,
  id: idOverride,
  error,
  hint,
  ...input
}: { label: string; name: string; error?: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const ref = useRef<HTMLInputElement>(null);
  // Two forms on one page may post the same name; their ids must still differ.
  const id = idOverride ?? `field-${name}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  useEffect(() => {
    if (error) ref.current?.focus();
  }, [error]);
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      <input
        ref={ref}
        id={id}
        name={name}
        {...input}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        autoFocus={Boolean(error) || input.autoFocus}
      />
      {error ? (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The attributes every 6-digit code field shares: numeric keypad, one-time-code autofill, big digits. */
export const ONE_TIME_CODE_INPUT = {
  inputMode: "numeric",
  autoComplete: "one-time-code",
  pattern: "[0-9]*",
  maxLength: 12,
  required: true,
  className: "code-input",
} as const;
