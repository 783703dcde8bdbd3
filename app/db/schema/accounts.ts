/**
 * Accounts and how people sign in to them: users, sessions, sign-ins waiting for a second step, known
 * devices, linked provider accounts, and One Tap nonces.
 * Times are integer milliseconds since the epoch (drizzle maps them to Date).
 */
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
