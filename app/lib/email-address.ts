/**
 * Email addresses as keys (EM-1): validated strictly enough that nothing odd reaches a mail header or the
 * users table, normalized (trimmed, lower-cased) so one person has one account.
 */

export const MAX_EMAIL_LENGTH = 254;

export type EmailCheck = { ok: true; email: string } | { ok: false; message: string };

// One @, a dot in the domain, no spaces or control characters anywhere. Deliberately not RFC 5322's
// full grammar: quoted local parts and IP-literal domains are not addresses people sign in with.
const EMAIL_PATTERN = /^[^\s@"<>()[\]\\,;:]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

export function checkEmail(raw: unknown): EmailCheck {
  if (typeof raw !== "string" || raw.trim() === "") {
    return { ok: false, message: "Enter your email address." };
  }
  // Checked before trimming: a CR/LF anywhere means someone is probing header injection.
  if (CONTROL_CHARACTERS.test(raw)) {
    return { ok: false, message: "That email address contains characters that aren't allowed." };
  }
  const email = normalizeEmail(raw);
  if (email.length > MAX_EMAIL_LENGTH) {
    return { ok: false, message: `That email address is too long (${MAX_EMAIL_LENGTH} characters at most).` };
  }
  if (!EMAIL_PATTERN.test(email) || email.split("@")[0]!.length > 64) {
    return { ok: false, message: "Enter an email address like name@example.com." };
  }
  return { ok: true, email };
}

/** "alice@example.com" → "a…@example.com": enough to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "…";
  return `${email[0]}…${email.slice(at)}`;
}
