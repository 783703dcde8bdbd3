/**
 * Verification tokens: the one-use secrets we email, a link token and a 6-digit code in one row.
 * Only hashes are stored (TOK-2): SHA-256 of the link token, HMAC of the code bound to email and
 * purpose. They live ten minutes (TOK-4); a newer one for the same email and purpose supersedes older
 * ones (TOK-6). Issuing is limited per email inside the INSERT itself (RL-2), and consuming is a single
 * conditional UPDATE, so parallel requests can never both succeed (TOK-3).
 */
import { and, eq, isNull, ne } from "drizzle-orm";
import { verificationTokens, type VerificationToken } from "~/db/schema";
import type { Database } from "~/lib/db.server";
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
}

export type IssueResult = { ok: true; issued: IssuedToken } | { ok: false; retryAfterSeconds: number };

export function hashCode(config: AppConfig, { email, purpose, code }: { email: string; purpose: VerificationPurpose; code: string }) {
  return keyedHash(config.sessionSecrets[0]!, "verification-code", purpose, email, code);
}

/**
 * Issues a link token and code for `email`, unless the per-email limits say no: at most one per
 * `emailSendIntervalMs` and `emailSends.limit` per window. The limit check and the insert are one
 * statement, so 100 parallel requests for one inbox issue exactly one token.
 */
export async function issueVerificationToken(
  db: Database,
  config: AppConfig,
  input: {
    email: string;
    purpose: VerificationPurpose;
    redirectTo: string | null;
    requestIp: string | null;
  },
  now: Date,
): Promise<IssueResult> {
  const { emailSendIntervalMs, emailSends } = config.limits;
  const token = generateToken(32);
  const code = generateCode();
  const at = now.getTime();
  const expiresAt = new Date(at + VERIFICATION_LIFETIME_MS);
  const row = await db.$client
    .prepare(
      `INSERT INTO verification_tokens
         (token_hash, code_hash, email, purpose, redirect_to, created_at, expires_at, request_ip)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
       WHERE NOT EXISTS (SELECT 1 FROM verification_tokens WHERE email = ?3 AND purpose = ?4 AND created_at > ?6 - ?9)
         AND (SELECT count(*) FROM verification_tokens WHERE email = ?3 AND purpose = ?4 AND created_at > ?6 - ?10) < ?11
       RETURNING id`,
    )
    .bind(
      await sha256Hex(token),
      await hashCode(config, { email: input.email, purpose: input.purpose, code }),
      input.email,
      input.purpose,
      input.redirectTo,
      at,
      expiresAt.getTime(),
      input.requestIp,
      emailSendIntervalMs,
      emailSends.windowMs,
      emailSends.limit,
    )
    .first<{ id: number }>();
  if (row) return { ok: true, issued: { id: row.id, token, code, expiresAt } };
  return { ok: false, retryAfterSeconds: await emailRetryAfter(db, config, input, now) };
}

/** When the per-email limits will next allow an email to this address. */
async function emailRetryAfter(
  db: Database,
  config: AppConfig,
  { email, purpose }: { email: string; purpose: VerificationPurpose },
  now: Date,
): Promise<number> {
  const { emailSendIntervalMs, emailSends } = config.limits;
  const { results } = await db.$client
    .prepare(
      `SELECT created_at FROM verification_tokens WHERE email = ?1 AND purpose = ?2 AND created_at > ?3
       ORDER BY created_at DESC`,
    )
    .bind(email, purpose, now.getTime() - emailSends.windowMs)
    .all<{ created_at: number }>();
  let retryAt = now.getTime();
  const newest = results[0]?.created_at;
  if (newest !== undefined) retryAt = Math.max(retryAt, newest + emailSendIntervalMs);
  const oldestCounted = results[emailSends.limit - 1]?.created_at;
  if (oldestCounted !== undefined) retryAt = Math.max(retryAt, oldestCounted + emailSends.windowMs);
  return retryAfterSeconds(retryAt, now);
}

export async function deleteVerificationToken(db: Database, id: number): Promise<void> {
  await db.delete(verificationTokens).where(eq(verificationTokens.id, id));
}

/** Retire every older live token for this email and purpose once a newer one has been delivered. */
export async function supersedeOlderTokens(
  db: Database,
  { email, purpose, keepId }: { email: string; purpose: VerificationPurpose; keepId: number },
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
  input: { email: string; purpose: Exclude<VerificationPurpose, "sign-in" | "step-up">; lifetimeMs: number },
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
  });
  return { token, expiresAt };
}
