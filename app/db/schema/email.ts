/**
 * What we email: one-time tokens (links and codes), the per-address code cool-down, the deployment
 * budget of sign-in emails, and the local dev outbox.
 * Times are integer milliseconds since the epoch (drizzle maps them to Date).
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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

/**
 * The deployment-wide hourly budget of sign-in emails (LIMIT_GLOBAL_SENDS): one row per window, counted
 * exactly in the statement that issues a token, so a botnet can't burn the mail provider's quota.
 */
export const sendBudget = sqliteTable("send_budget", {
  windowStart: integer("window_start").primaryKey(),
  sent: integer("sent").notNull(),
});

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
