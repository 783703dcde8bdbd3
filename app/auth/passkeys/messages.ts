/**
 * What a person is told when a passkey ceremony can't go ahead, in one place for the server's JSON
 * answers and the browser's own failures (a closed prompt, no passkey on this device, no support).
 * Each sentence says what happened and what to do next.
 */

/** Passkey names are for people to tell their devices apart: short. */
export const PASSKEY_NAME_MAX_LENGTH = 64;

/** Why the server refused a passkey request; each has an HTTP status and a sentence. */
export type PasskeyProblem =
  | "malformed"
  | "expired-challenge"
  | "wrong-site"
  | "no-user-verification"
  | "unknown-credential"
  | "bad-signature"
  | "cloned"
  | "unsupported-algorithm"
  | "already-registered"
  | "not-found"
  | "signed-out"
  | "step-up-required"
  | "rate-limited"
  | "unsupported-media-type";

export const PASSKEY_PROBLEMS: Record<PasskeyProblem, { status: 400 | 401 | 403 | 404 | 409 | 415 | 429; message: string }> = {
  malformed: { status: 400, message: "Your browser sent a passkey response we couldn't read. Reload the page and try again." },
  "expired-challenge": {
    status: 400,
    message: "That passkey request expired or was already used. Try again: each request works once, for 5 minutes.",
  },
  "wrong-site": { status: 400, message: "That passkey response was made for a different website, so it can't sign in here." },
  "no-user-verification": {
    status: 400,
    message: "Your device didn't confirm it's you. Try again and unlock the passkey with your fingerprint, face or device PIN when asked.",
  },
  "unknown-credential": {
    status: 401,
    message:
      "That passkey isn't registered here any more: it may have been removed from your account. Sign in with your email instead, then add a new passkey from your account page.",
  },
  "bad-signature": { status: 401, message: "That passkey's signature didn't check out. Try again, or sign in with your email instead." },
  cloned: {
    status: 401,
    message:
      "We refused that passkey because it looks like a copy of another one (its counter went backwards). Sign in with your email, then check the passkeys on your account page.",
  },
  "unsupported-algorithm": {
    status: 400,
    message: "That passkey uses a kind of key we don't support. Try a different device or password manager.",
  },
  "already-registered": { status: 409, message: "That passkey is already registered. You can use it to sign in." },
  "not-found": { status: 404, message: "That passkey isn't on your account any more. Reload the account page to see your passkeys." },
  "signed-out": { status: 401, message: "You're signed out. Sign in again, then add your passkey from the account page." },
  "step-up-required": {
    status: 403,
    message: "Adding a passkey needs a sign-in from the last 10 minutes. Confirm it's you first, then try again.",
  },
  "rate-limited": { status: 429, message: "Too many sign-in attempts. Please wait a few minutes and try again." },
  "unsupported-media-type": { status: 415, message: "Passkey requests must be sent as JSON." },
};

/** What happened in the browser, from the error a WebAuthn call threw. */
export type BrowserProblem = "cancelled" | "unsupported" | "excluded" | "failed";

export const BROWSER_PROBLEMS: Record<"sign-in" | "register" | "step-up", Record<BrowserProblem, string>> = {
  "sign-in": {
    cancelled:
      "The passkey prompt was closed without signing in. Try again, or if this device has no passkey for this site, sign in with your email below.",
    unsupported: "This browser doesn't support passkeys. Sign in with your email below instead.",
    excluded: "Something went wrong with the passkey prompt. Try again, or sign in with your email below.",
    failed: "The passkey prompt didn't work this time. Try again, or sign in with your email below.",
  },
  register: {
    cancelled: "No passkey was added: the prompt was closed. Try again when you're ready.",
    unsupported: "This browser can't create passkeys. Try a recent version of Chrome, Edge, Safari or Firefox.",
    excluded: "This device or password manager already has a passkey for your account, so there's nothing to add.",
    failed: "The passkey couldn't be created. Try again, or use a different device or password manager.",
  },
  "step-up": {
    cancelled: "The passkey prompt was closed. Try again, or confirm another way below.",
    unsupported: "This browser doesn't support passkeys. Confirm another way below.",
    excluded: "The passkey prompt didn't work. Try again, or confirm another way below.",
    failed: "The passkey prompt didn't work. Try again, or confirm another way below.",
  },
};
