/**
 * Latchkey as an OpenID Connect provider (app/provider/): clients, signing keys, authorization requests,
 * codes, grants, refresh tokens and consents.
 * Times are integer milliseconds since the epoch (drizzle maps them to Date).
 */
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { sessions, users } from "./accounts";

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
