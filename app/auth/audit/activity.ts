/**
 * The security log in words, for the account page's "Recent activity" and for alert emails:
 * "Signed in with an email code from Firefox on Linux, Germany".
 */
import { describeBrowser, describeLocation } from "~/lib/user-agent";

const FIRST_FACTORS: Record<string, string> = {
  link: "with an email link",
  code: "with an email code",
  github: "with GitHub",
  passkey: "with a passkey",
  google: "with Google",
};

const SECOND_FACTORS: Record<string, string> = {
  totp: "an authenticator code",
  recovery: "a recovery code",
};

/** "link+totp" → "with an email link and an authenticator code". */
export function describeSignInMethod(method: string | null | undefined): string {
  if (!method) return "";
  const [first, second] = method.split("+");
  const base = FIRST_FACTORS[first ?? ""] ?? "";
  const extra = second ? SECOND_FACTORS[second] : undefined;
  return extra ? `${base} and ${extra}` : base;
}

export interface ActivityEntry {
  type: string;
  detail: string | null;
  userAgent: string | null;
  country: string | null;
}

const times = (count: number, one: string, many: string) => (count === 1 ? one : `${count} ${many}`);

/**
 * The log entries shown to the account holder, and how each reads. `count` is how many consecutive
 * entries of that kind it stands for (see REPEATABLE_EVENTS).
 */
export const ACTIVITY_WORDS: Record<string, (detail: string | null, count: number) => string> = {
  sign_in: (d) => `Signed in ${describeSignInMethod(d)}`.trim(),
  sign_out: () => "Signed out",
  new_device: () => "Emailed you about a sign-in from a new device",
  github_linked: (d) => (d ? `Linked GitHub account @${d}` : "Linked a GitHub account"),
  github_unlinked: (d) => (d ? `Unlinked GitHub account @${d}` : "Unlinked a GitHub account"),
  google_linked: (d) => (d ? `Linked a Google Workspace account (${d})` : "Linked a Google account"),
  google_unlinked: (d) => (d ? `Unlinked a Google Workspace account (${d})` : "Unlinked a Google account"),
  session_revoked: () => "Signed out a session",
  other_sessions_revoked: (d) => (d && d !== "1" ? `Signed out ${d} other sessions` : "Signed out the other sessions"),
  signed_out_everywhere: () => "Signed out everywhere from the “This wasn't me” link",
  step_up: (d) =>
    `Confirmed it was you with ${d === "totp" ? "an authenticator code" : d === "recovery" ? "a recovery code" : d === "passkey" ? "a passkey" : "an email code"}`,
  step_up_failed: (_, n) => times(n, "Entered a wrong confirmation code", "wrong confirmation codes were entered"),
  two_factor_enabled: () => "Turned on two-factor authentication",
  two_factor_disabled: () => "Turned off two-factor authentication",
  two_factor_failed: (d, n) =>
    d === "recovery"
      ? times(n, "Entered a wrong recovery code", "wrong recovery codes were entered")
      : times(n, "Entered a wrong authenticator code", "wrong authenticator codes were entered"),
  recovery_codes_generated: () => "Generated new recovery codes",
  passkey_added: (d) => (d ? `Added the passkey “${d}”` : "Added a passkey"),
  passkey_renamed: (d) => (d ? `Renamed a passkey to “${d}”` : "Renamed a passkey"),
  passkey_removed: (d) => (d ? `Deleted the passkey “${d}”` : "Deleted a passkey"),
  passkey_refused: (d) => (d?.includes("counter") ? "Refused a passkey that looked copied (its counter went backwards)" : "A passkey sign-in was refused"),
  // Typed by whoever asked for a code to this address: not necessarily the account holder.
  code_failed: (_, n) => times(n, "A wrong sign-in code was entered for your address", "wrong sign-in codes were entered for your address"),
  code_burned: () => "A sign-in code was disabled after too many wrong tries",
  code_lockout: () => "Code sign-in was paused after repeated wrong codes",
  app_authorized: (d) => (d?.startsWith("consent: ") ? `Allowed ${d.slice(9)} to use your account` : `Signed in to ${d ?? "an app"}`),
  app_access_revoked: (d) => `Revoked ${d ?? "an app"}'s access`,
};

/** Failures that often come in runs: consecutive ones read as one line with a count. */
export const REPEATABLE_EVENTS = new Set(["code_failed", "two_factor_failed", "step_up_failed"]);

/** One log entry in words, or null for entries that aren't shown to the account holder. */
export function describeActivity(entry: ActivityEntry, count = 1): string | null {
  const what = ACTIVITY_WORDS[entry.type];
  if (!what) return null;
  const from = describeBrowser(entry.userAgent);
  const where = describeLocation(entry.country);
  const browser = from === "An unknown browser" ? "an unknown browser" : from;
  const device = `${browser}${where ? `, ${where}` : ""}`;
  const words = what(entry.detail, count);
  return entry.type === "new_device" ? `${words} (${device})` : `${words} from ${device}`;
}
