/**
 * What a person is told when sign-in can't go ahead: what happened and what to do next. One place, so
 * the link page, the code page and the sign-in form say the same thing the same way.
 */
import type { TokenProblem } from "~/auth/email/verification-tokens.server";

export interface Problem {
  status: number;
  title: string;
  message: string;
}

export const LINK_PROBLEMS: Record<Exclude<TokenProblem, "burned">, Problem> = {
  invalid: {
    status: 400,
    title: "This sign-in link isn't valid",
    message: "The link is incomplete or was never issued. Make sure you opened the whole link from the email.",
  },
  expired: { status: 410, title: "This sign-in link has expired", message: "Links work for 10 minutes after they're sent." },
  used: { status: 410, title: "This sign-in link was already used", message: "Each link works only once." },
  superseded: {
    status: 410,
    title: "A newer sign-in link was sent",
    message: "Only the most recent email we sent you works. Use that one, or request a new one.",
  },
};

export const CODE_PROBLEMS: Record<TokenProblem, string> = {
  invalid: "That code isn't right. Check the newest email from us, or send a new one.",
  expired: "That code has expired: codes work for 10 minutes. Send a new email to get a fresh one.",
  used: "That code was already used. Send a new email to get a fresh one.",
  superseded: "A newer email was sent: use the code from the most recent one, or send a new email.",
  burned: "Too many wrong tries: that code no longer works. Send a new email to get a fresh one.",
};

export function wrongCodeMessage(attemptsLeft: number): string {
  return `That code isn't right — ${attemptsLeft} ${attemptsLeft === 1 ? "try" : "tries"} left.`;
}

export function lockedMessage(retryAfterSeconds: number, { linkStillWorks = true } = {}): string {
  const wait = describeWait(retryAfterSeconds);
  return linkStillWorks
    ? `Too many wrong codes for this email. Code sign-in is paused for ${wait}; the link in your email still works.`
    : `Too many wrong codes for this email. Emailed codes are paused for ${wait}; then send a new one.`;
}

/** What a wrong, replayed or malformed authenticator / recovery code is answered with. */
export function secondFactorMessage(
  kind: "totp" | "recovery",
  reason: "malformed" | "wrong-code" | "replayed",
  attemptsLeft?: number,
): string {
  if (reason === "malformed") {
    return kind === "totp" ? "Enter the 6-digit code from your authenticator app." : "Enter one of your recovery codes, like k7mq-2xzp-9hwd-4tnr.";
  }
  const tries = attemptsLeft === undefined ? "" : ` ${attemptsLeft} ${attemptsLeft === 1 ? "try" : "tries"} left.`;
  if (reason === "replayed") return `That code was already used. Wait for your app to show a new one.${tries}`;
  return kind === "totp"
    ? `That code isn't right. Check the time on your phone and try the current code.${tries}`
    : `That recovery code isn't right or was already used.${tries}`;
}

/** When no server key opens the account's authenticator secret: the way in that still works. */
export const SECRET_UNREADABLE_MESSAGE =
  "We can't check authenticator codes for this account right now. Use one of your recovery codes instead.";

export function secondFactorPausedMessage(retryAfterSeconds: number): string {
  return `Too many wrong codes for this account. Two-factor codes are paused for ${describeWait(retryAfterSeconds)}; then try again.`;
}

export function rateLimitedMessage(retryAfterSeconds: number, what: "emails" | "attempts"): string {
  const subject = what === "emails" ? "Too many sign-in emails were requested" : "Too many sign-in attempts";
  return `${subject}. Please try again in ${describeWait(retryAfterSeconds)}.`;
}

/** "30 seconds", "12 minutes", "1 hour": how long to wait, in words for the page. */
export function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}
