/**
 * The security log in words, for the account page's "Recent activity" and for alert emails:
 * "Signed in with an email code from Firefox on Linux, Germany".
 */
import { describeBrowser, describeLocation } from "~/lib/user-agent";

const FIRST_FACTORS: Record<string, string> = {
  link: "with an email link",
  code: "with an email code",
  github: "with GitHub",
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

/** The log entries shown to the account holder, and how each reads. */
export const ACTIVITY_WORDS: Record<string, (detail: string | null) => string> = {
  sign_in: (d) => `Signed in ${describeSignInMethod(d)}`.trim(),
  sign_out: () => "Signed out",
  new_device: () => "Emailed you about a sign-in from a new device",
  github_linked: (d) => (d ? `Linked GitHub account @${d}` : "Linked a GitHub account"),
  github_unlinked: (d) => (d ? `Unlinked GitHub account @${d}` : "Unlinked a GitHub account"),
  session_revoked: () => "Signed out a session",
  other_sessions_revoked: (d) => (d && d !== "1" ? `Signed out ${d} other sessions` : "Signed out the other sessions"),
  signed_out_everywhere: () => "Signed out everywhere from the “This wasn't me” link",
  step_up: (d) => `Confirmed it was you with ${d === "totp" ? "an authenticator code" : d === "recovery" ? "a recovery code" : "an email code"}`,
  step_up_failed: () => "Entered a wrong confirmation code",
  two_factor_enabled: () => "Turned on two-factor authentication",
  two_factor_disabled: () => "Turned off two-factor authentication",
  two_factor_failed: (d) => (d === "recovery" ? "Entered a wrong recovery code" : "Entered a wrong authenticator code"),
  recovery_codes_generated: () => "Generated new recovery codes",
  code_failed: () => "Entered a wrong sign-in code",
  code_burned: () => "A sign-in code was disabled after too many wrong tries",
  code_lockout: () => "Code sign-in was paused after repeated wrong codes",
  app_authorized: (d) => (d?.startsWith("consent: ") ? `Allowed ${d.slice(9)} to use your account` : `Signed in to ${d ?? "an app"}`),
  app_access_revoked: (d) => `Revoked ${d ?? "an app"}'s access`,
};

/** One log entry in words, or null for entries that aren't shown to the account holder. */
export function describeActivity(entry: ActivityEntry): string | null {
  const what = ACTIVITY_WORDS[entry.type];
  if (!what) return null;
  const from = describeBrowser(entry.userAgent);
  const where = describeLocation(entry.country);
  const browser = from === "An unknown browser" ? "an unknown browser" : from;
  const device = `${browser}${where ? `, ${where}` : ""}`;
  return entry.type === "new_device" ? `${what(entry.detail)} (${device})` : `${what(entry.detail)} from ${device}`;
}
