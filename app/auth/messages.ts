/**
 * Every sentence a page shows about what just happened, saying what happened and what to do next (style
 * note 5): refusals, problem pages, confirmations and notices, whether an action returns them or a page
 * picks them by reason. One place, so the same situation reads the same on every page. Pages keep their
 * own headings, explanations and button labels; emails keep theirs in app/emails/; passkey ceremonies
 * have theirs in passkeys/messages.ts (the JSON routes and the browser share them), and the OpenID provider's
 * pages theirs in provider/messages.ts.
 */
import type { GitHubProblem } from "~/auth/github/sign-in.server";
import type { GoogleProblem } from "./google/sign-in.server";
import type { TokenProblem } from "~/auth/email/verification-tokens.server";

export interface Problem {
  status: number;
  title: string;
  message: string;
}

/** The title over a rate-limited answer, whose sentence (rateLimitedMessage) says how long to wait. */
export const WAIT_TITLE = "Please wait a moment";

// --- sign-in links and codes --------------------------------------------------------------------------

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

export const CODE_MALFORMED = "Enter the 6-digit code from the email.";

/** The code page opened without an address to check the code against. */
export const CODE_WITHOUT_EMAIL = {
  title: "Which email should we check?",
  message: "Codes are sent by email. Enter your address first and we'll send you one.",
};

/** A confirm button "pressed" by something that isn't a person's navigation (a mail scanner). */
export const PRESS_THE_BUTTON = "Press the button below to sign in.";

export const SIGN_IN_MAIL_FAILED = "We couldn't send the email just now. Nothing was sent; please try again in a moment.";

export function wrongCodeMessage(attemptsLeft: number): string {
  return `That code isn't right — ${attemptsLeft} ${attemptsLeft === 1 ? "try" : "tries"} left.`;
}

export function lockedMessage(retryAfterSeconds: number, { linkStillWorks = true } = {}): string {
  const wait = describeWait(retryAfterSeconds);
  return linkStillWorks
    ? `Too many wrong codes for this email. Code sign-in is paused for ${wait}; the link in your email still works.`
    : `Too many wrong codes for this email. Emailed codes are paused for ${wait}; then send a new one.`;
}

// --- two-factor authentication -----------------------------------------------------------------------

/** A pending sign-in (after the email step, before the second factor) that can't be finished any more. */
export const PENDING_SIGN_IN_EXPIRED = {
  title: "Start signing in again",
  message: "This sign-in has expired or had too many wrong codes. For your security, sign in again from the start.",
};

export const ENROLLMENT = {
  malformed: "Enter the 6-digit code your authenticator app shows for Latchkey.",
  mismatch: "That code doesn't match. Make sure you scanned this page's QR code, then enter the current code.",
  none: {
    title: "No setup in progress",
    message: "Setting up an authenticator app starts from your account page, and a setup expires after 10 minutes.",
  },
};

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

// --- confirming it's you (step-up, SES-5) -------------------------------------------------------------

export const STEP_UP = {
  useSecondFactor: "Your account has two-factor authentication: confirm with your authenticator app.",
  mailFailed: "We couldn't send the email just now. Please try again in a moment.",
  codeSent: "We sent a 6-digit code. It expires in 10 minutes.",
  codeDead: "That code has expired, was used, or had too many wrong tries. Send a new one.",
  confirmed: "Thanks, you're confirmed for the next 10 minutes.",
  /** Hints next to a change that will ask first, by how it will ask. */
  willEmailCode: "You signed in more than 10 minutes ago, so we'll first email you a code to confirm it's you.",
  willAsk: "You signed in more than 10 minutes ago, so you'll be asked to confirm it's you first.",
  /** The confirm page's lead when confirming goes straight on with the change. */
  continuing: { "setup-2fa": "set up two-factor authentication", "disable-2fa": "turn off two-factor authentication" },
};

// --- the account page ----------------------------------------------------------------------------------

export const ACCOUNT = {
  chooseOtherSession: "Choose one of your other sessions to sign out. To sign out here, use Sign out.",
  sessionSignedOut: "That session was signed out.",
  sessionAlreadyEnded: "That session had already ended.",
  otherSessionsSignedOut: (revoked: number) =>
    revoked === 0 ? "You weren't signed in anywhere else." : `Signed out ${revoked} other ${revoked === 1 ? "session" : "sessions"}.`,
  notLinked: "That account isn't linked to your account.",
  unlinked: (provider: string) => `${provider} is unlinked. You can still sign in with your email, or link ${provider} again by continuing with it.`,
  appRevoked: "That app's access is revoked: it's signed out, and will ask you to sign in again.",
  noAppAccess: "That app had no access to revoke.",
  twoFactorAlreadyOn: "Two-factor authentication is already on.",
  twoFactorOff: "Two-factor authentication is off. We've emailed you about the change.",
  twoFactorAlreadyOff: "Two-factor authentication was already off.",
  unknownAction: "That action isn't available here.",
  passkeyAdded: (name: string) => `Added the passkey “${name}”. You can sign in with it now.`,
  deleteWrongEmail: "That isn't your account's email address. Type it exactly as shown.",
};

// --- "This wasn't me" links (sign out everywhere) ----------------------------------------------------

export const NOT_ME_PROBLEMS: Record<Exclude<TokenProblem, "burned">, { status: number; message: string }> = {
  invalid: { status: 400, message: "This link isn't valid. Make sure you opened the whole link from the email." },
  expired: { status: 410, message: "This link has expired: it works for 7 days after the alert is sent." },
  used: { status: 410, message: "This link was already used, so your account was already signed out everywhere." },
  superseded: { status: 410, message: "This link is no longer valid." },
};

/** What signing out everywhere did, in words: the sessions, then each way back in that it removed. */
export const NOT_ME_DONE = {
  sessionsEnded: (n: number) => `${n === 1 ? "1 session was" : `${n} sessions were`} signed out, and any sign-in email still on its way no longer works.`,
  authenticatorRemoved: "the authenticator app that was set up since then",
  recoveryCodesRemoved: (n: number) => `${n} recovery ${n === 1 ? "code" : "codes"} made since then`,
  passkeyRemoved: (name: string) => `the passkey “${name}” added since then`,
  githubUnlinked: (login: string) => `the linked GitHub account @${login}`,
};

// --- signing in with GitHub or Google (OA-4) -----------------------------------------------------------

export const providerCancelled = (provider: string) => `${provider} sign-in was cancelled. Try again, or use your email below.`;

/** What GitHub and Google sign-in say alike, in the provider's name. */
function providerProblems(name: "GitHub" | "Google") {
  return {
    "provider-error": {
      status: 400,
      title: `${name} couldn't complete the sign-in`,
      message: `${name} sent you back with an error. Start again, or sign in with your email instead.`,
    },
    unavailable: {
      status: 502,
      title: `${name} isn't responding`,
      message: `${name} isn't responding right now, so we couldn't finish signing you in. Nothing was changed. Try again in a few minutes, or sign in with your email instead.`,
    },
    rejected: {
      status: 502,
      title: `${name} refused this sign-in`,
      message: `${name} didn't accept Latchkey's sign-in request, which usually means this site's ${name} settings need fixing. Sign in with your email instead, and let whoever runs this site know.`,
    },
    "signup-closed": {
      status: 403,
      title: `No account for this ${name} account`,
      message: `This site only lets existing accounts sign in, and none has your ${name} account's email address. Ask whoever runs it for access.`,
    },
    "rate-limited": { status: 429, title: WAIT_TITLE, message: "" },
  } satisfies Record<string, Problem>;
}

const STARTED_ELSEWHERE = "It may have been used already, taken too long, or been opened in a different browser. Start again.";

/** Each way GitHub sign-in can stop. */
export const GITHUB_PROBLEMS: Record<Exclude<GitHubProblem, "cancelled"> | "rate-limited", Problem> = {
  ...providerProblems("GitHub"),
  "invalid-state": { status: 400, title: "This GitHub sign-in link is invalid or expired", message: STARTED_ELSEWHERE },
  "no-verified-email": {
    status: 403,
    title: "Your GitHub account has no verified email",
    message: "Latchkey signs you in by your verified email address, and GitHub says your primary email isn't verified. Open GitHub's email settings, verify your primary address (GitHub sends you a confirmation link), then start again.",
  },
};

/** Each way Google sign-in (the redirect or One Tap) can stop. */
export const GOOGLE_PROBLEMS: Record<Exclude<GoogleProblem, "cancelled"> | "rate-limited", Problem> = {
  ...providerProblems("Google"),
  "invalid-state": { status: 400, title: "This Google sign-in is invalid or expired", message: STARTED_ELSEWHERE },
  "invalid-token": {
    status: 400,
    title: "We couldn't verify this Google sign-in",
    message: "What came back from Google didn't pass our checks, so nobody was signed in. Start again, or sign in with your email instead.",
  },
  "csrf-mismatch": {
    status: 400,
    title: "This Google sign-in couldn't be confirmed",
    message: "The sign-in arrived without the check this page sets, which happens when cookies are blocked or the page was open for a long time. Reload the sign-in page and try again.",
  },
  "no-verified-email": {
    status: 403,
    title: "Your Google account's email isn't verified",
    message: "Latchkey signs you in by your verified email address, and Google didn't confirm the address of this Google account. Verify it in your Google Account, then start again, or sign in with your email instead.",
  },
};

// --- error pages ---------------------------------------------------------------------------------------

export const UNEXPECTED_ERROR = {
  title: "Something went wrong",
  message: "Latchkey hit an unexpected error. Nothing was changed; please try again in a moment.",
};

/** The root error boundary's words for the statuses a page can end in. */
export const ERROR_PAGES: Record<number, { title: string; message: string }> = {
  400: { title: "That request didn't make sense", message: "Something in the request was malformed. Go back and try again." },
  403: { title: "Not allowed", message: "You don't have access to this page." },
  404: { title: "Page not found", message: "There's nothing at this address. Check the link, or start again from the home page." },
  405: { title: "Not allowed here", message: "This page can't handle that kind of request." },
  503: {
    title: "Please try again in a moment",
    message: "Latchkey can't reach its database right now. Nothing was changed; please try again in a moment.",
  },
};

// --- waiting ---------------------------------------------------------------------------------------------

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

// --- signing in and out, where to ------------------------------------------------------------------

export const SIGNED_OUT = "You're signed out on this device.";

/** Where a sign-in that a protected page asked for will lead, in words ("Sign in to continue to …"). */
export function describeDestination(path: string): string {
  if (path.startsWith("/account")) return "your account settings";
  if (path.startsWith("/dashboard")) return "your dashboard";
  if (path.startsWith("/oauth/")) return "the app that sent you here";
  return "the page you asked for";
}

/** The "check your email" page: what was sent, and when another can be. */
export const CHECK_EMAIL = {
  title: "Check your email",
  sent: "We sent a sign-in link and code to",
  justSent: "We just sent an email to",
  arriving: "It can take a minute to arrive. Open the link on this device, or type the code here:",
  expires: "The link and the code work once and expire 10 minutes after they were sent.",
  nextIn: (seconds: number) => `You can send another in ${describeWait(seconds)}.`,
  spentTitle: "Send a new email",
  spent: "The code from the last email can't be used any more. Send a new email to",
} as const;
