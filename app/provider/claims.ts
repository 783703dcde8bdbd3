/**
 * What a relying party may learn about a person: the scopes Latchkey grants, the claims each releases,
 * and how a Latchkey session's sign-in method reads as `amr`/`acr` (RFC 8176, OIDC Core §2).
 */

export const SUPPORTED_SCOPES = ["openid", "email", "profile", "offline_access"] as const;
export type Scope = (typeof SUPPORTED_SCOPES)[number];

/** Every claim Latchkey can release (for the discovery document). */
export const SUPPORTED_CLAIMS = [
  "sub",
  "iss",
  "aud",
  "exp",
  "iat",
  "auth_time",
  "nonce",
  "amr",
  "acr",
  "sid",
  "email",
  "email_verified",
  "name",
  "preferred_username",
  "picture",
];

/** `acr` values: a single factor, or a second factor (authenticator, recovery code, passkey with UV) on top. */
export const ACR_SINGLE_FACTOR = "urn:latchkey:acr:1fa";
export const ACR_MULTI_FACTOR = "urn:latchkey:acr:mfa";

/** The words of a scope parameter, without duplicates, in the order given ("a  b a" → ["a", "b"]). */
export function scopeWords(value: string | null | undefined): string[] {
  return [...new Set((value ?? "").split(" ").filter(Boolean))];
}

/**
 * The scopes to grant: requested ∩ supported ∩ allowed for the client, in canonical order. Unknown
 * scopes are ignored (OIDC Core §5.4); the token response's `scope` says what was granted.
 */
export function grantableScopes(requested: string[], allowed: string): Scope[] {
  const permitted = new Set(scopeWords(allowed));
  return SUPPORTED_SCOPES.filter((scope) => requested.includes(scope) && permitted.has(scope));
}

export function formatScope(scopes: Iterable<string>): string {
  const set = new Set(scopes);
  return SUPPORTED_SCOPES.filter((scope) => set.has(scope)).join(" ");
}

export function hasScope(scope: string, wanted: Scope): boolean {
  return scopeWords(scope).includes(wanted);
}

/** True when every scope in `wanted` is in `granted`. */
export function coversScopes(granted: string | null | undefined, wanted: string): boolean {
  const have = new Set(scopeWords(granted));
  return scopeWords(wanted).every((scope) => have.has(scope));
}

/** What a consent page says each scope lets the app do. */
export const SCOPE_WORDS: Record<Scope, string> = {
  openid: "Know who you are (a stable id that isn't your email)",
  email: "See your email address",
  profile: "See your name and picture from your linked GitHub account, if any",
  offline_access: "Stay signed in when you're not using it (until you sign out of Latchkey)",
};

export interface ClaimsSource {
  id: string;
  email: string;
  emailVerifiedAt: Date | null;
  github: { login: string | null; name: string | null; avatarUrl: string | null } | null;
}

/**
 * The person's claims released by `scope`. Latchkey stores no name of its own: `profile` carries the
 * linked GitHub account's, and is empty without one.
 */
export function scopedClaims(person: ClaimsSource, scope: string): Record<string, string | boolean> {
  const claims: Record<string, string | boolean> = {};
  if (hasScope(scope, "email")) {
    claims.email = person.email;
    claims.email_verified = person.emailVerifiedAt !== null;
  }
  if (hasScope(scope, "profile") && person.github) {
    if (person.github.name) claims.name = person.github.name;
    if (person.github.login) claims.preferred_username = person.github.login;
    if (person.github.avatarUrl) claims.picture = person.github.avatarUrl;
  }
  return claims;
}

/** First factors (sessions.method before the "+") as RFC 8176-style `amr` values. */
const FIRST_FACTOR_AMR: Record<string, string[]> = {
  link: ["email"],
  code: ["email", "otp"],
  github: ["github"],
  google: ["google"],
  // A passkey sign-in verifies the person on the device (WAN-3): hardware key + user presence, multi-factor.
  passkey: ["hwk", "user", "mfa"],
};

const SECOND_FACTOR_AMR: Record<string, string[]> = {
  totp: ["otp", "mfa"],
  recovery: ["mfa"],
};

/**
 * "code+totp" → amr ["email", "otp", "mfa"], acr multi-factor. The method is the session's (see
 * sessions.method): how the person proved who they are when this session began.
 */
export function authenticationContext(method: string | null | undefined): { amr: string[]; acr: string } {
  const [first = "", second] = (method ?? "").split("+");
  const amr = new Set(FIRST_FACTOR_AMR[first] ?? []);
  for (const value of second ? (SECOND_FACTOR_AMR[second] ?? []) : []) amr.add(value);
  return { amr: [...amr], acr: amr.has("mfa") ? ACR_MULTI_FACTOR : ACR_SINGLE_FACTOR };
}
