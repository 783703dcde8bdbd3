/**
 * The security log.
 * Times are integer milliseconds since the epoch (drizzle maps them to Date).
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

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
