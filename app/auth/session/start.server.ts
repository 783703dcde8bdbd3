/**
 * What every successful first factor (email link or code, GitHub, Google, passkey) ends in: a session, or,
 * for a user with a second factor on, a short-lived pending sign-in that /auth/2fa completes. The choice is
 * made inside the same D1 statements that create the row, so a user who turns 2FA on can never get a full
 * session from a first factor that raced with it (decision 005).
 */
import { sql, type SQL } from "drizzle-orm";
import { runBatch } from "~/db/batch.server";
import { sessions } from "~/db/schema";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateToken, sha256Hex } from "~/lib/crypto.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import type { AuthDeps } from "../deps";
import { insertIdentityFor, type IdentityLink } from "../identities/identities.server";
import { secondFactorEnabled } from "../two-factor/totp-credentials.server";
import { userAsSubject } from "../users/users.server";
import { PENDING_SIGN_IN_LIFETIME_MS, insertPendingSignInFor } from "./pending-sign-ins.server";
import { deleteSessionWhen, insertSessionFor } from "./sessions.server";

export type SignInMethod = "link" | "code" | "github" | "google" | "passkey";

export type SignInOutcome =
  | { kind: "session"; userId: string; token: string; expiresAt: Date; redirectTo: string; method: string; linked?: IdentityLink | null }
  | { kind: "second-factor"; userId: string; token: string; expiresAt: Date; redirectTo: string; method: string };

export interface SessionStartInput {
  /**
   * Whose sign-in this is: a SELECT yielding `user_id` and `redirect_to`, given the new session's id (e.g.
   * the user behind the token an earlier statement of the batch stamped with that id).
   */
  subject: (sessionId: string) => SQL;
  method: SignInMethod;
  client: ClientInfo;
  previousSessionToken: string | null;
  /** A provider account to attach when (and only when) the sign-in completes. */
  link?: IdentityLink | null;
  /** The sign-in already proved two factors (a passkey with user verification, WAN-3): no TOTP step. */
  secondFactorSatisfied?: boolean;
}

/**
 * The statements that start a session (or a pending sign-in) for `subject` and end the browser's
 * previous session, by name, plus a reader for their results. Callers spread them into a batch after
 * whatever statement makes the sign-in valid.
 */
export async function prepareSessionStart(deps: Pick<AuthDeps, "db" | "config">, input: SessionStartInput, now: Date) {
  const { db, config } = deps;
  const sessionToken = generateToken(32);
  const pendingToken = generateToken(32);
  const sessionId = await sha256Hex(sessionToken);
  const pendingId = await sha256Hex(pendingToken);
  const expiresAt = new Date(now.getTime() + config.sessionLifetimeMs);
  const pendingExpiresAt = new Date(now.getTime() + PENDING_SIGN_IN_LIFETIME_MS);
  const { client, method, link = null } = input;
  const subject = input.subject(sessionId);
  const due = input.secondFactorSatisfied ? sql`0` : secondFactorEnabled(sql`src.user_id`);

  const statements = {
    session: insertSessionFor(db, sql`SELECT src.user_id FROM (${subject}) AS src WHERE NOT ${due}`, {
      id: sessionId,
      at: now,
      expiresAt,
      method,
      client,
    }),
    pending: insertPendingSignInFor(db, sql`SELECT src.user_id, src.redirect_to FROM (${subject}) AS src WHERE ${due}`, {
      id: pendingId,
      method,
      at: now,
      link,
    }),
    // Session rotation (SES-2): whatever session this browser had ends with this sign-in.
    rotated: deleteSessionWhen(db, input.previousSessionToken ? await sha256Hex(input.previousSessionToken) : null, sql`EXISTS (${subject})`),
    // A provider account matched by email is attached only if this batch made the session.
    ...(link ? { linked: insertIdentityFor(db, sql`SELECT user_id FROM ${sessions} WHERE id = ${sessionId}`, link, now) } : {}),
  };

  /** The outcome from the batch's results; `redirectTo` as the first factor carried it. */
  const readOutcome = (
    results: { session: { user_id: string }[]; pending: { user_id: string; redirect_to: string | null }[]; linked?: { id: string }[] },
    redirectTo: string | null,
  ): SignInOutcome | null => {
    const session = results.session[0];
    if (session) {
      return {
        kind: "session",
        userId: session.user_id,
        token: sessionToken,
        expiresAt,
        redirectTo: safeRedirectPath(redirectTo),
        method,
        linked: link && (results.linked?.length ?? 0) > 0 ? link : null,
      };
    }
    const pending = results.pending[0];
    if (pending) {
      return {
        kind: "second-factor",
        userId: pending.user_id,
        token: pendingToken,
        expiresAt: pendingExpiresAt,
        redirectTo: safeRedirectPath(pending.redirect_to),
        method,
      };
    }
    return null;
  };

  return { statements, readOutcome, sessionId };
}

/** Starts a session (or pending sign-in) for a user resolved before the batch (a provider, a passkey). */
export async function startSessionForUser(
  deps: Pick<AuthDeps, "db" | "config" | "now">,
  input: Omit<SessionStartInput, "subject"> & { userId: string; redirectTo: string | null },
): Promise<SignInOutcome> {
  const redirectTo = input.redirectTo && safeRedirectPath(input.redirectTo);
  const prepared = await prepareSessionStart(deps, { ...input, subject: () => userAsSubject(input.userId, redirectTo) }, deps.now());
  const results = await runBatch(deps.db, prepared.statements);
  const outcome = prepared.readOutcome(results, redirectTo);
  if (!outcome) throw new Error(`user ${input.userId} vanished while signing in`);
  return outcome;
}
