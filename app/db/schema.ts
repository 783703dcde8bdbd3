/**
 * The whole D1 schema. `npm run db:generate` turns changes here into SQL under migrations/.
 * Times are integer milliseconds since the epoch (drizzle maps them to Date).
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  // Stored trimmed and lower-cased (see normalizeEmail) so it can be the unique key.
  email: text("email").notNull().unique(),
  emailVerifiedAt: integer("email_verified_at", { mode: "timestamp_ms" }),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  // When the account's first device was recorded. Until then a sign-in alerts nobody (there is no one
  // else to warn); after it, any device not in known_devices is new, even once they've all been forgotten.
  firstDeviceAt: integer("first_device_at", { mode: "timestamp_ms" }),
});

export const sessions = sqliteTable(
  "sessions",
  {
    // SHA-256 (hex) of the session token. The token itself lives only in the user's cookie.
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    // Absolute expiry; idle expiry is derived from last_seen_at.
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    country: text("country"),
    city: text("city"),
    // How this session signed in: "link", "code" or "github", with "+totp"/"+recovery" after a second step.
    method: text("method"),
    // When the person last proved who they are in this session (sign-in or a step-up code). Sensitive
    // changes need this to be recent.
    authenticatedAt: integer("authenticated_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId), index("sessions_expires_at_idx").on(t.expiresAt)],
);

export const verificationTokens = sqliteTable(
  "verification_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // SHA-256 (hex) of the link token sent by email.
    tokenHash: text("token_hash").notNull().unique(),
    // HMAC-SHA-256 of the 6-digit code sent in the same email, keyed with a server secret and bound to
    // email and purpose: a plain hash of a million possible codes would be trivially reversible.
    codeHash: text("code_hash"),
    // Wrong code guesses against this token; at the limit the code is burned (the link still works).
    attempts: integer("attempts").notNull().default(0),
    // The request id of the latest wrong guess: lets the cool-down count exactly the guesses counted here.
    lastGuessId: text("last_guess_id"),
    email: text("email").notNull(),
    // sign-in: link + code to sign in. step-up: code to confirm a sensitive change while signed in.
    // sign-out-everywhere: the "this wasn't me" link in a new-device alert.
    purpose: text("purpose", { enum: ["sign-in", "step-up", "sign-out-everywhere"] }).notNull(),
    // Where to go after sign-in; validated as a same-origin path when stored and when used.
    redirectTo: text("redirect_to"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    consumedAt: integer("consumed_at", { mode: "timestamp_ms" }),
    // The session this token's redemption created (or would have, while a second factor is due): lets one
    // D1 batch consume the token and create exactly one session.
    sessionId: text("session_id"),
    // Set when a newer token for the same email and purpose was sent.
    supersededAt: integer("superseded_at", { mode: "timestamp_ms" }),
    requestIp: text("request_ip"),
    // 1 when a browser with a device cookie of this address's account asked for it. Such requests have
    // their own per-email budget and spacing, and a stranger's request never supersedes them, so nobody
    // can keep an owner from getting a sign-in email by asking for emails to their address.
    knownDevice: integer("known_device").notNull().default(0),
    // For a "this wasn't me" link: when the disowned event (a sign-in, turning 2FA on) happened. Second
    // factors added since then are removed along with every session.
    eventAt: integer("event_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    index("verification_tokens_email_purpose_created_idx").on(t.email, t.purpose, t.createdAt),
    index("verification_tokens_expires_at_idx").on(t.expiresAt),
    index("verification_tokens_session_id_idx").on(t.sessionId),
  ],
);

/**
 * Account-level cool-down for code sign-in (RL-3): failed code attempts per email in a window, across
 * every code, session and IP. Issuing a new code does not reset it.
 */
export const codeLockouts = sqliteTable("code_lockouts", {
  email: text("email").primaryKey(),
  failures: integer("failures").notNull(),
  windowStartedAt: integer("window_started_at", { mode: "timestamp_ms" }).notNull(),
  lockedUntil: integer("locked_until", { mode: "timestamp_ms" }),
});

/** The security log (LOG-1). Never holds tokens, codes or cookies; emails only as a keyed hash. */
export const authEvents = sqliteTable(
  "auth_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type", {
      enum: [
        "sign_in",
        "sign_out",
        "code_failed",
        "code_burned",
        "code_lockout",
        "link_refused",
        "code_refused",
        "rate_limited",
        "email_failed",
        "github_linked",
        "github_unlinked",
        "github_refused",
        "google_linked",
        "google_unlinked",
        "google_refused",
        "new_device",
        "session_revoked",
        "other_sessions_revoked",
        "signed_out_everywhere",
        "step_up",
        "step_up_failed",
        "two_factor_enabled",
        "two_factor_disabled",
        "two_factor_failed",
        "recovery_codes_generated",
        "recovery_code_used",
        "account_deleted",
        "passkey_added",
        "passkey_renamed",
        "passkey_removed",
        "passkey_refused",
        "app_authorized",
        "app_access_revoked",
        "client_auth_failed",
      ],
    }).notNull(),
    // e.g. the sign-in method ("link", "code"), the refusal reason, or the limit that was hit.
    detail: text("detail"),
    userId: text("user_id").references(() => users.id, { onDelete: "set null" }),
    emailHash: text("email_hash"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    country: text("country"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    // Repeated refusals (a limit hit again and again, malformed tokens) share one row per key and window
    // instead of one row per request: `dedupe_key` names the row, `count` says how often it happened.
    dedupeKey: text("dedupe_key"),
    count: integer("count").notNull().default(1),
  },
  (t) => [
    index("auth_events_user_created_idx").on(t.userId, t.createdAt),
    index("auth_events_email_created_idx").on(t.emailHash, t.createdAt),
    uniqueIndex("auth_events_dedupe_key_idx").on(t.dedupeKey),
  ],
);

/**
 * The deployment-wide hourly budget of sign-in emails (LIMIT_GLOBAL_SENDS): one row per window, counted
 * exactly in the statement that issues a token, so a botnet can't burn the mail provider's quota.
 */
export const sendBudget = sqliteTable("send_budget", {
  windowStart: integer("window_start").primaryKey(),
  sent: integer("sent").notNull(),
});

/** Accounts at other providers (GitHub, Google) that sign in to a user. One provider account, one user. */
export const identities = sqliteTable(
  "identities",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: ["github", "google"] }).notNull(),
    // The provider's stable id: GitHub's numeric id (as text), Google's `sub`. Logins and emails can
    // change; this can't.
    providerUserId: text("provider_user_id").notNull(),
    login: text("login"),
    name: text("name"),
    avatarUrl: text("avatar_url"),
    // The verified email the provider gave when this identity was last used.
    email: text("email"),
    // Google Workspace accounts: the organisation's domain (the ID token's `hd` claim), shown on /account.
    hostedDomain: text("hosted_domain"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("identities_provider_user_idx").on(t.provider, t.providerUserId),
    index("identities_user_id_idx").on(t.userId),
  ],
);

/**
 * Google One Tap nonces that have been used (OA-1, TOK-3): an ID token is accepted only if its nonce is
 * not here yet, and the INSERT that adds it is the check, so two parallel posts of one credential can't
 * both sign in. Rows only need to outlive the nonce itself (10 minutes); the daily purge removes them.
 */
export const spentNonces = sqliteTable(
  "spent_nonces",
  {
    // SHA-256 (hex) of the nonce.
    id: text("id").primaryKey(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("spent_nonces_expires_at_idx").on(t.expiresAt)],
);

/**
 * A sign-in that passed its first factor for a user with 2FA on: no session yet, only this short-lived
 * row behind its own cookie, until /auth/2fa gets an authenticator or recovery code.
 */
export const pendingSignIns = sqliteTable(
  "pending_sign_ins",
  {
    // SHA-256 (hex) of the token in the pending cookie.
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    method: text("method").notNull(),
    redirectTo: text("redirect_to"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    // Set in the same batch that creates the session, so a pending sign-in completes exactly once.
    completedAt: integer("completed_at", { mode: "timestamp_ms" }),
    sessionId: text("session_id"),
    // A provider account (JSON IdentityLink) to link when the second step succeeds: an identity that
    // matched this account only by email is attached once the whole sign-in is complete, never before.
    link: text("link"),
  },
  (t) => [index("pending_sign_ins_user_id_idx").on(t.userId), index("pending_sign_ins_session_id_idx").on(t.sessionId)],
);

/** Authenticator-app (TOTP) secret. Enabled once confirmed with a code; until then a pending enrollment. */
export const totpCredentials = sqliteTable("totp_credentials", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  // AES-GCM: base64url(iv || ciphertext) under TOTP_ENCRYPTION_KEY.
  encryptedSecret: text("encrypted_secret").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  enabledAt: integer("enabled_at", { mode: "timestamp_ms" }),
  // The newest time step accepted: a code for this step or an older one is a replay.
  lastUsedStep: integer("last_used_step").notNull().default(0),
  // Wrong second-factor codes (authenticator or recovery) for this account in the current window, across
  // every pending sign-in and step-up; at LIMIT_CODE_FAILURES the second factor pauses until locked_until.
  failures: integer("failures").notNull().default(0),
  failureWindowStartedAt: integer("failure_window_started_at", { mode: "timestamp_ms" }),
  lockedUntil: integer("locked_until", { mode: "timestamp_ms" }),
});

/** Single-use recovery codes, stored as SHA-256 (they carry 80 random bits, so a plain hash suffices). */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("recovery_codes_user_hash_idx").on(t.userId, t.codeHash)],
);

/** Browsers a user has signed in from (by device cookie), so a sign-in from a new one can be reported. */
export const knownDevices = sqliteTable(
  "known_devices",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // SHA-256 (hex) of the id in the device cookie.
    deviceHash: text("device_hash").notNull(),
    userAgent: text("user_agent"),
    country: text("country"),
    firstSeenAt: integer("first_seen_at", { mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceHash] })],
);

/**
 * Passkeys (WebAuthn discoverable credentials). Owned by app/auth/passkeys/statements.server.ts: every
 * statement that touches this table lives there.
 */
export const passkeys = sqliteTable(
  "passkeys",
  {
    // Our own id ("pk_…"): short, and what the account page's forms and URLs use.
    id: text("id").primaryKey(),
    // The authenticator's credential id, base64url. Unique across all users: an authenticator that
    // offers an id we already know must not be able to claim it for another account (WebAuthn §7.1 step 25).
    credentialId: text("credential_id").notNull().unique(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // The credential's public key as a JWK (JSON), ready for WebCrypto's importKey; `algorithm` is its COSE
    // algorithm (-7 ES256, -8 EdDSA, -257 RS256).
    publicKey: text("public_key").notNull(),
    algorithm: integer("algorithm").notNull(),
    // The authenticator's signature counter as last seen; 0 for most synced passkeys (WAN-4).
    signCount: integer("sign_count").notNull().default(0),
    // JSON array of the transports the browser reported ("internal", "hybrid", "usb", …), or null.
    transports: text("transports"),
    // Backup eligibility and state (authenticator data flags BE and BS): a synced passkey is eligible.
    backupEligible: integer("backup_eligible", { mode: "boolean" }).notNull(),
    backedUp: integer("backed_up", { mode: "boolean" }).notNull(),
    // The authenticator model as a UUID; all zeros when the provider doesn't say.
    aaguid: text("aaguid").notNull(),
    name: text("name").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("passkeys_user_id_idx").on(t.userId, t.createdAt)],
);

/**
 * WebAuthn challenges issued and not yet used (WAN-2): single use, five minutes, bound to what they are
 * for and, when a signed-in person asked, to that person and session.
 */
export const passkeyChallenges = sqliteTable(
  "passkey_challenges",
  {
    // SHA-256 (hex) of the challenge (its base64url text). The challenge itself only travels to the browser.
    id: text("id").primaryKey(),
    purpose: text("purpose", { enum: ["register", "sign-in", "step-up"] }).notNull(),
    // For register and step-up: who asked, and from which session. Null for sign-in.
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("passkey_challenges_expires_at_idx").on(t.expiresAt)],
);

// --- OpenID Connect provider (app/provider/) -----------------------------------------------------------

/** Apps that sign people in through Latchkey. Managed with `npm run clients`; never by the web UI. */
export const oauthClients = sqliteTable("oauth_clients", {
  // The client_id.
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  // SHA-256 (hex) of the client secret (256 random bits, shown once). Null: a public client (PKCE only).
  secretHash: text("secret_hash"),
  // Exact strings; compared byte for byte with the request's redirect_uri (OP-2). https, or http on loopback.
  redirectUris: text("redirect_uris", { mode: "json" }).$type<string[]>().notNull(),
  postLogoutRedirectUris: text("post_logout_redirect_uris", { mode: "json" }).$type<string[]>().notNull(),
  // First-party apps (run by whoever runs Latchkey) skip the consent page.
  firstParty: integer("first_party", { mode: "boolean" }).notNull().default(false),
  // The scopes this client may be granted, space-separated.
  scopes: text("scopes").notNull(),
  // The `aud` of its access tokens when they are meant for an API; null: the client id.
  audience: text("audience"),
  // How its ID and access tokens are signed.
  signingAlg: text("signing_alg", { enum: ["ES256", "EdDSA"] }).notNull().default("ES256"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  // A disabled client can't start a sign-in or use a token; disabling also deletes its grants.
  disabledAt: integer("disabled_at", { mode: "timestamp_ms" }),
});

/** Token-signing keys. The public half is published in the JWKS; the private half is stored encrypted. */
export const oauthSigningKeys = sqliteTable("oauth_signing_keys", {
  // The JWK thumbprint (RFC 7638), used as `kid`.
  id: text("id").primaryKey(),
  alg: text("alg", { enum: ["ES256", "EdDSA"] }).notNull(),
  publicJwk: text("public_jwk", { mode: "json" }).$type<Record<string, string>>().notNull(),
  // AES-GCM under a key derived from TOTP_ENCRYPTION_KEY: "v1.<base64url(iv || ciphertext)>", kid as associated data.
  encryptedPrivateJwk: text("encrypted_private_jwk").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  // Set when a newer key replaces this one: it stays published until then (for tokens it signed), then goes.
  retireAt: integer("retire_at", { mode: "timestamp_ms" }),
});

/**
 * An authorization request that had to leave /oauth/authorize (to sign in, re-authenticate or ask for
 * consent), kept here so the way back is a short URL (`?request=…`) rather than every parameter again.
 */
export const oauthAuthorizationRequests = sqliteTable("oauth_authorization_requests", {
  // Random, 128 bits; not a secret (it only resumes a request for whoever is signed in), just unguessable.
  id: text("id").primaryKey(),
  clientId: text("client_id")
    .notNull()
    .references(() => oauthClients.id, { onDelete: "cascade" }),
  redirectUri: text("redirect_uri").notNull(),
  scope: text("scope").notNull(),
  state: text("state"),
  nonce: text("nonce"),
  codeChallenge: text("code_challenge").notNull(),
  prompt: text("prompt"),
  maxAge: integer("max_age"),
  // Set when the request asked for a fresh sign-in (prompt=login, max_age): a sign-in before this doesn't count.
  authAfter: integer("auth_after", { mode: "timestamp_ms" }),
  // The user who approved it on the consent page (satisfies prompt=consent for this request only).
  consentedBy: text("consented_by"),
  deniedAt: integer("denied_at", { mode: "timestamp_ms" }),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * One app's access for one person in one Latchkey session: what its refresh tokens and access tokens
 * hang on. Deleting the session (sign-out, revoke, sign out everywhere, "this wasn't me", expiry) or the
 * user deletes the grant and its refresh tokens (ON DELETE CASCADE); every use also checks the session.
 */
export const oauthGrants = sqliteTable(
  "oauth_grants",
  {
    // Random; carried in access tokens as `gid` so /oauth/userinfo can see a revoked grant at once.
    id: text("id").primaryKey(),
    clientId: text("client_id")
      .notNull()
      .references(() => oauthClients.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    scope: text("scope").notNull(),
    // When and how the person signed in (sessions.authenticated_at and .method at authorization): auth_time, amr.
    authTime: integer("auth_time", { mode: "timestamp_ms" }).notNull(),
    method: text("method"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("oauth_grants_user_id_idx").on(t.userId),
    index("oauth_grants_session_id_idx").on(t.sessionId),
    index("oauth_grants_client_id_idx").on(t.clientId),
  ],
);

/** Authorization codes (OP-3): SHA-256 only, 60 seconds, one use. The grant is created when one is redeemed. */
export const oauthAuthorizationCodes = sqliteTable(
  "oauth_authorization_codes",
  {
    // SHA-256 (hex) of the code.
    id: text("id").primaryKey(),
    // The id the grant gets when this code is redeemed, so a second use can find and revoke it.
    grantId: text("grant_id").notNull(),
    clientId: text("client_id")
      .notNull()
      .references(() => oauthClients.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    redirectUri: text("redirect_uri").notNull(),
    scope: text("scope").notNull(),
    nonce: text("nonce"),
    codeChallenge: text("code_challenge").notNull(),
    authTime: integer("auth_time", { mode: "timestamp_ms" }).notNull(),
    method: text("method"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    consumedAt: integer("consumed_at", { mode: "timestamp_ms" }),
    // Unique per redemption attempt: lets the statements after the consuming UPDATE act only on this one.
    consumedBy: text("consumed_by"),
  },
  (t) => [index("oauth_authorization_codes_expires_at_idx").on(t.expiresAt)],
);

/** Refresh tokens (OP-4): SHA-256 only, rotated on every use; a used one coming back revokes its grant. */
export const oauthRefreshTokens = sqliteTable(
  "oauth_refresh_tokens",
  {
    // SHA-256 (hex) of the token.
    id: text("id").primaryKey(),
    grantId: text("grant_id")
      .notNull()
      .references(() => oauthGrants.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    // Set when it was exchanged for its successor. Kept (with the grant) so reuse is recognised.
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    // The successor's id, written by the same statement that marks this one used: the successor is
    // inserted only if this request's mark is the one that stuck.
    replacedBy: text("replaced_by"),
  },
  (t) => [index("oauth_refresh_tokens_grant_id_idx").on(t.grantId)],
);

/** What a person allowed a third-party app (per user, client and scopes), until they revoke it on /account. */
export const oauthConsents = sqliteTable(
  "oauth_consents",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id")
      .notNull()
      .references(() => oauthClients.id, { onDelete: "cascade" }),
    // Space-separated, sorted.
    scope: text("scope").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.clientId] })],
);

// Local development mailbox (EMAIL_PROVIDER=outbox). Never written in a deployment that sends real mail.
export const outboxMessages = sqliteTable("outbox_messages", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  to: text("to").notNull(),
  subject: text("subject").notNull(),
  text: text("text").notNull(),
  html: text("html").notNull(),
  sentAt: integer("sent_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`),
});

export type User = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type VerificationToken = typeof verificationTokens.$inferSelect;
export type AuthEvent = typeof authEvents.$inferInsert;
export type Identity = typeof identities.$inferSelect;
export type Passkey = typeof passkeys.$inferSelect;
export type OAuthClient = typeof oauthClients.$inferSelect;
export type OAuthGrant = typeof oauthGrants.$inferSelect;
export type OAuthAuthorizationRequest = typeof oauthAuthorizationRequests.$inferSelect;
