/**
 * Second factors and passkeys: authenticator secrets, recovery codes, WebAuthn credentials and challenges.
 * Times are integer milliseconds since the epoch (drizzle maps them to Date).
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

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
