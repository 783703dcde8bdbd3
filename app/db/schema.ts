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
  },
  (t) => [
    index("auth_events_user_created_idx").on(t.userId, t.createdAt),
    index("auth_events_email_created_idx").on(t.emailHash, t.createdAt),
  ],
);

/** Accounts at other providers (GitHub) that sign in to a user. One provider account, one user. */
export const identities = sqliteTable(
  "identities",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: ["github"] }).notNull(),
    // The provider's stable numeric id (as text). Logins and emails can change; this can't.
    providerUserId: text("provider_user_id").notNull(),
    login: text("login"),
    name: text("name"),
    avatarUrl: text("avatar_url"),
    // The verified email the provider gave when this identity was last used.
    email: text("email"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("identities_provider_user_idx").on(t.provider, t.providerUserId),
    index("identities_user_id_idx").on(t.userId),
  ],
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
export type OAuthClient = typeof oauthClients.$inferSelect;
export type OAuthGrant = typeof oauthGrants.$inferSelect;
export type OAuthAuthorizationRequest = typeof oauthAuthorizationRequests.$inferSelect;
