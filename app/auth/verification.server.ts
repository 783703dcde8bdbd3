/**
 * Verification tokens: the one-use secrets we email, a link token and a 6-digit code in one row.
 * Only hashes are stored (TOK-2): SHA-256 of the link token, HMAC of the code bound to email and
 * purpose. They live ten minutes (TOK-4); a newer one for the same email and purpose supersedes older
 * ones (TOK-6). Issuing is limited per email inside the INSERT itself (RL-2), and consuming is a single
 * conditional UPDATE, so parallel requests can never both succeed (TOK-3).
 */
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { knownDevices, sendBudget, users, verificationTokens, type VerificationToken } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import { runBatch } from "~/db/batch.server";
import type { AppConfig } from "~/lib/env.server";
import { generateCode, generateToken, isWellFormedToken, keyedHash, sha256Hex } from "~/lib/crypto.server";
import { retryAfterSeconds } from "~/lib/rate-limit.server";

/** ASVS 5 (6.5.5) and NIST 800-63B-4 cap out-of-band secrets at ten minutes. */
export const VERIFICATION_LIFETIME_MS = 10 * 60 * 1000;

export type VerificationPurpose = VerificationToken["purpose"];

export type TokenProblem = "invalid" | "expired" | "used" | "superseded" | "burned";

export type TokenInspection =
  | { ok: true; email: string; redirectTo: string | null; expiresAt: Date }
  | { ok: false; reason: Exclude<TokenProblem, "burned"> };

export interface IssuedToken {
  id: number;
  token: string;
  code: string;
  expiresAt: Date;
  /** Asked for by a browser with a device cookie of this address's account. */
  knownDevice: boolean;
  /** Whether to email it: an account exists, or sign-up is open and the hourly budget allows sign-ups. */
  deliverable: boolean;
}

export type IssueResult = { ok: true; issued: IssuedToken } | { ok: false; retryAfterSeconds: number };

export function hashCode(config: AppConfig, { email, purpose, code }: { email: string; purpose: VerificationPurpose; code: string }) {
  return keyedHash(config.sessionSecrets[0]!, "verification-code", purpose, email, code);
}

export interface IssueOptions {
  /** SHA-256 of the requesting browser's device id, if it sent a valid device cookie. */
  deviceHash?: string | null;
  /** Sign-in emails count against the deployment-wide hourly budget (LIMIT_GLOBAL_SENDS). */
  globalBudget?: boolean;
}

/**
 * Issues a link token and code for `email`, unless the limits say no, all in ONE statement so 100
 * parallel requests for one inbox issue exactly one token (RL-2):
 * - per email, at most one per `emailSendIntervalMs` and `emailSends.limit` per window — counted
 *   separately for requests from a browser that carries a device cookie of this address's account, so a
 *   stranger asking for emails to someone's address can't use up its owner's budget;
 * - for sign-in emails, the deployment-wide hourly budget: below it everyone is served; past it new
 *   sign-ups get the same answer but no email; past twice it only known devices are served.
 */
export async function issueVerificationToken(
  db: Database,
  config: AppConfig,
  input: { email: string; purpose: VerificationPurpose; redirectTo: string | null; requestIp: string | null },
  now: Date,
  { deviceHash = null, globalBudget = false }: IssueOptions = {},
): Promise<IssueResult> {
  const { emailSendIntervalMs, emailSends, globalSends } = config.limits;
  const { email, purpose } = input;
  const token = generateToken(32);
  const code = generateCode();
  const tokenHash = await sha256Hex(token);
  const at = now.getTime();
  const expiresAt = new Date(at + VERIFICATION_LIFETIME_MS);
  const window = budgetWindow(config, now);

  const knownDevice = deviceHash
    ? sql`EXISTS (SELECT 1 FROM ${knownDevices} kd JOIN ${users} u ON u.id = kd.user_id WHERE u.email = ${email} AND kd.device_hash = ${deviceHash})`
    : sql`0`;
  const accountExists = sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.email} = ${email})`;
  const sentThisWindow = sql`coalesce((SELECT sent FROM ${sendBudget} WHERE window_start = ${window}), 0)`;
  const samePool = sql`email = ${email} AND purpose = ${purpose} AND known_device = asked.known`;
  const budgetAllows = globalBudget ? sql`(asked.known = 1 OR ${sentThisWindow} < ${2 * globalSends.limit})` : sql`1`;
  const deliverable = globalBudget
    ? sql`(${accountExists} OR (${config.allowSignup ? 1 : 0} AND ${sentThisWindow} < ${globalSends.limit}))`
    : sql`(${accountExists} OR ${config.allowSignup ? 1 : 0})`;

  const { issued } = await runBatch(db, {
    issued: db.all<{ id: number; known_device: number; deliverable: number }>(sql`
      INSERT INTO ${verificationTokens}
        (token_hash, code_hash, email, purpose, redirect_to, created_at, expires_at, request_ip, known_device)
      SELECT ${tokenHash}, ${await hashCode(config, { email, purpose, code })}, ${email}, ${purpose}, ${input.redirectTo},
        ${at}, ${expiresAt.getTime()}, ${input.requestIp}, asked.known
      FROM (SELECT ${knownDevice} AS known) AS asked
      WHERE NOT EXISTS (SELECT 1 FROM ${verificationTokens} WHERE ${samePool} AND created_at > ${at - emailSendIntervalMs})
        AND (SELECT count(*) FROM ${verificationTokens} WHERE ${samePool} AND created_at > ${at - emailSends.windowMs}) < ${emailSends.limit}
        AND ${budgetAllows}
      RETURNING id, known_device, ${deliverable} AS deliverable`),
    // The budget counts emails we will actually send, in the same transaction that issued the token.
    budget: db.run(sql`
      INSERT INTO ${sendBudget} (window_start, sent)
      SELECT ${window}, 1 WHERE ${globalBudget ? 1 : 0}
        AND EXISTS (SELECT 1 FROM ${verificationTokens} WHERE token_hash = ${tokenHash}) AND ${deliverable}
      ON CONFLICT (window_start) DO UPDATE SET sent = sent + 1`),
  });
  const row = issued[0];
  if (row) {
    return {
      ok: true,
      issued: { id: row.id, token, code, expiresAt, knownDevice: row.known_device === 1, deliverable: row.deliverable === 1 },
    };
  }
  return { ok: false, retryAfterSeconds: await issueRetryAfter(db, config, { ...input, deviceHash, globalBudget }, now) };
}

/** The hourly window the global send budget counts in. */
function budgetWindow(config: AppConfig, now: Date): number {
  const { windowMs } = config.limits.globalSends;
  return Math.floor(now.getTime() / windowMs) * windowMs;
}

/** When the limits will next allow an email to this address from this browser. */
async function issueRetryAfter(
  db: Database,
  config: AppConfig,
  { email, purpose, deviceHash, globalBudget }: { email: string; purpose: VerificationPurpose; deviceHash: string | null; globalBudget: boolean },
  now: Date,
): Promise<number> {
  const { emailSendIntervalMs, emailSends, globalSends } = config.limits;
  const knownDevice = deviceHash
    ? sql`EXISTS (SELECT 1 FROM ${knownDevices} kd JOIN ${users} u ON u.id = kd.user_id WHERE u.email = ${email} AND kd.device_hash = ${deviceHash})`
    : sql`0`;
  const rows = await db.all<{ created_at: number; budget_spent: number }>(sql`
    SELECT created_at, (SELECT asked.known = 0 AND coalesce((SELECT sent FROM ${sendBudget} WHERE window_start = ${budgetWindow(config, now)}), 0) >= ${2 * globalSends.limit}) AS budget_spent
    FROM (SELECT ${knownDevice} AS known) AS asked
    LEFT JOIN ${verificationTokens} ON email = ${email} AND purpose = ${purpose} AND known_device = asked.known AND created_at > ${now.getTime() - emailSends.windowMs}
    ORDER BY created_at DESC`);
  let retryAt = now.getTime();
  if (globalBudget && rows[0]?.budget_spent) retryAt = budgetWindow(config, now) + globalSends.windowMs;
  const sent = rows.filter((r) => r.created_at !== null);
  const newest = sent[0]?.created_at;
  if (newest !== undefined) retryAt = Math.max(retryAt, newest + emailSendIntervalMs);
  const oldestCounted = sent[emailSends.limit - 1]?.created_at;
  if (oldestCounted !== undefined) retryAt = Math.max(retryAt, oldestCounted + emailSends.windowMs);
  return retryAfterSeconds(retryAt, now);
}

export async function deleteVerificationToken(db: Database, id: number): Promise<void> {
  await db.delete(verificationTokens).where(eq(verificationTokens.id, id));
}

/**
 * Retire every older live token for this email and purpose once a newer one has been delivered. A token
 * an unknown browser asked for never retires one that a known device of the account asked for.
 */
export async function supersedeOlderTokens(
  db: Database,
  { email, purpose, keepId, knownDevice = false }: { email: string; purpose: VerificationPurpose; keepId: number; knownDevice?: boolean },
  now: Date,
): Promise<void> {
  await db
    .update(verificationTokens)
    .set({ supersededAt: now })
    .where(
      and(
        eq(verificationTokens.email, email),
        eq(verificationTokens.purpose, purpose),
        isNull(verificationTokens.consumedAt),
        isNull(verificationTokens.supersededAt),
        ne(verificationTokens.id, keepId),
        knownDevice ? undefined : eq(verificationTokens.knownDevice, 0),
      ),
    );
}

/** Read-only look at a link token: what the confirm page shows. Never changes state (TOK-7). */
export async function inspectVerificationToken(
  db: Database,
  token: unknown,
  purpose: VerificationPurpose,
  now: Date,
): Promise<TokenInspection> {
  if (!isWellFormedToken(token)) return { ok: false, reason: "invalid" };
  const tokenHash = await sha256Hex(token);
  const [row] = await db
    .select()
    .from(verificationTokens)
    .where(and(eq(verificationTokens.tokenHash, tokenHash), eq(verificationTokens.purpose, purpose)))
    .limit(1);
  if (!row) return { ok: false, reason: "invalid" };
  // A burned code doesn't stop its link: links can't be guessed, so the guess limit is about codes.
  const problem = tokenProblem(row, now, Number.POSITIVE_INFINITY);
  if (problem) return { ok: false, reason: problem as Exclude<TokenProblem, "burned"> };
  return { ok: true, email: row.email, redirectTo: row.redirectTo, expiresAt: row.expiresAt };
}

/** Why a stored token can't be used now, or null if it can. */
export function tokenProblem(
  row: Pick<VerificationToken, "consumedAt" | "supersededAt" | "expiresAt" | "attempts">,
  now: Date,
  maxAttempts: number,
): TokenProblem | null {
  if (row.consumedAt) return "used";
  if (row.supersededAt) return "superseded";
  if (row.expiresAt.getTime() <= now.getTime()) return "expired";
  if (row.attempts >= maxAttempts) return "burned";
  return null;
}

export async function findTokenByHash(db: Database, tokenHash: string): Promise<VerificationToken | undefined> {
  const [row] = await db
    .select()
    .from(verificationTokens)
    .where(eq(verificationTokens.tokenHash, tokenHash))
    .limit(1);
  return row;
}

/**
 * A one-time link token without a code, for links in security notices ("this wasn't me"). Not limited
 * per email like sign-in sends: it is only ever issued by our own notices, never on request.
 */
export async function issueNoticeLinkToken(
  db: Database,
  input: { email: string; purpose: Exclude<VerificationPurpose, "sign-in" | "step-up">; lifetimeMs: number; eventAt?: Date },
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const token = generateToken(32);
  const expiresAt = new Date(now.getTime() + input.lifetimeMs);
  await db.insert(verificationTokens).values({
    tokenHash: await sha256Hex(token),
    email: input.email,
    purpose: input.purpose,
    createdAt: now,
    expiresAt,
    // What the link disowns happened then; anything added to the account since is undone with it.
    eventAt: input.eventAt ?? now,
  });
  return { token, expiresAt };
}
