/**
 * Emailing a one-time token, the same way for sign-in and step-up: issue it within the limits (one
 * statement, plus the deployment's budget for sign-in emails, in one batch), send it, delete it if the
 * mail failed (nothing dangling, EM-3), and only after delivery retire the older ones (TOK-6), so a
 * failed send never kills the link from an earlier email.
 */
import { sql } from "drizzle-orm";
import { runBatch } from "~/db/batch.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateCode, generateToken, sha256Hex } from "~/lib/crypto.server";
import type { MailMessage } from "~/lib/mail/mailer.server";
import { retryAfterSeconds } from "~/lib/rate-limit.server";
import type { AuthDeps } from "../deps";
import { recordAuthEvent } from "../audit/events.server";
import { isKnownDeviceOf } from "../devices/known-devices.server";
import { accountExists } from "../users/users.server";
import { budgetWindow, countSend, sentInWindow } from "./send-budget.server";
import {
  deleteToken,
  hashCode,
  insertTokenWithinLimits,
  recentTokenTimes,
  supersedeOlderTokens,
  tokenIssued,
  VERIFICATION_LIFETIME_MS,
  type VerificationPurpose,
} from "./verification-tokens.server";

export interface IssuedToken {
  id: number;
  token: string;
  code: string;
  expiresAt: Date;
  /** Asked for by a browser with a device cookie of this address's account. */
  knownDevice: boolean;
  /** Whether to email it: an account exists, or sign-up is open (and, for sign-in, not paused by the budget). */
  deliverable: boolean;
}

/**
 * Refused: when to try again, and whether only the per-address spacing stood in the way (an email went
 * to this address moments ago, so the person most likely just has to wait for it).
 */
export type IssueResult = { ok: true; issued: IssuedToken } | { ok: false; retryAfterSeconds: number; justSent: boolean };

export interface IssueInput {
  email: string;
  purpose: VerificationPurpose;
  redirectTo: string | null;
  client: ClientInfo;
  /** The requesting browser's device id, if it sent a valid device cookie. */
  deviceId?: string | null;
  /**
   * Sign-in emails count against the deployment-wide hourly budget (LIMIT_GLOBAL_SENDS): below it everyone
   * is served; past it new sign-ups get the same answer but no email; past twice it only known devices.
   */
  globalBudget?: boolean;
}

/** Issues a token and code for `input.email`, unless a limit says no (then: when to try again). */
export async function issueEmailToken(deps: Pick<AuthDeps, "db" | "config" | "now">, input: IssueInput): Promise<IssueResult> {
  const { db, config } = deps;
  const { emailSendIntervalMs, emailSends, globalSends } = config.limits;
  const { email, purpose, globalBudget = false } = input;
  const now = deps.now();
  const token = generateToken(32);
  const code = generateCode();
  const tokenHash = await sha256Hex(token);
  const deviceHash = input.deviceId ? await sha256Hex(input.deviceId) : null;
  const knownDevice = deviceHash ? isKnownDeviceOf(email, deviceHash) : sql`0`;
  const window = budgetWindow(globalSends, now);
  const signupOpen = config.allowSignup ? sql`1` : sql`0`;
  const deliverable = globalBudget
    ? sql`(${accountExists(email)} OR (${signupOpen} AND ${sentInWindow(window)} < ${globalSends.limit}))`
    : sql`(${accountExists(email)} OR ${signupOpen})`;

  const { issued } = await runBatch(db, {
    issued: insertTokenWithinLimits(db, {
      tokenHash,
      codeHash: await hashCode(config, { email, purpose, code }),
      email,
      purpose,
      redirectTo: input.redirectTo,
      at: now,
      requestIp: input.client.ip,
      knownDevice,
      limits: {
        intervalMs: emailSendIntervalMs,
        perWindow: emailSends.limit,
        windowMs: emailSends.windowMs,
        also: globalBudget ? sql`(asked.known = 1 OR ${sentInWindow(window)} < ${2 * globalSends.limit})` : sql`1`,
      },
      deliverable,
    }),
    // The budget counts emails we will actually send, in the same transaction that issued the token.
    counted: countSend(db, window, globalBudget ? sql`${tokenIssued(tokenHash)} AND ${deliverable}` : sql`0`),
  });
  const row = issued[0];
  if (row) {
    const expiresAt = new Date(now.getTime() + VERIFICATION_LIFETIME_MS);
    return { ok: true, issued: { id: row.id, token, code, expiresAt, knownDevice: row.known_device === 1, deliverable: row.deliverable === 1 } };
  }

  // Refused: when will the limits next allow an email to this address from this browser?
  const overBudget = globalBudget && (await db.get<{ over: number }>(sql`SELECT ${knownDevice} = 0 AND ${sentInWindow(window)} >= ${2 * globalSends.limit} AS over`));
  const budgetAt = overBudget && overBudget.over ? window + globalSends.windowMs : 0;
  const times = await recentTokenTimes(db, { email, purpose, knownDevice, since: new Date(now.getTime() - emailSends.windowMs) });
  const newest = times[0]?.created_at;
  const spacingAt = newest === undefined ? 0 : newest + emailSendIntervalMs;
  const oldestCounted = times[emailSends.limit - 1]?.created_at;
  const hourlyAt = oldestCounted === undefined ? 0 : oldestCounted + emailSends.windowMs;
  const retryAt = Math.max(now.getTime(), budgetAt, spacingAt, hourlyAt);
  const justSent = spacingAt > now.getTime() && budgetAt <= now.getTime() && hourlyAt <= now.getTime();
  return { ok: false, retryAfterSeconds: retryAfterSeconds(retryAt, now), justSent };
}

/**
 * Sends the email for an issued token. On failure the token is deleted (the person never got it) and the
 * failure logged; on success older live tokens of the address and purpose are retired. True when sent.
 */
export async function sendTokenEmail(
  deps: AuthDeps,
  { issued, email, purpose, message, client }: { issued: IssuedToken; email: string; purpose: VerificationPurpose; message: MailMessage | null; client: ClientInfo },
): Promise<boolean> {
  const { db } = deps;
  if (message) {
    const sent = await deps.mailer.send(message);
    if (!sent.ok) {
      console.error(`${purpose} mail failed: ${sent.error}`);
      await deleteToken(db, issued.id);
      recordAuthEvent(deps, { type: "email_failed", detail: purpose, email, client });
      return false;
    }
  }
  await supersedeOlderTokens(db, { email, purpose, keepId: issued.id, knownDevice: issued.knownDevice, now: deps.now() });
  return true;
}
