/**
 * Verification tokens: the one-use secrets we email. Only their SHA-256 is stored (TOK-2); they live ten
 * minutes (TOK-4); a newer one for the same email and purpose supersedes older ones (TOK-6); consuming
 * one is a single conditional UPDATE, so parallel redemptions cannot both succeed (TOK-3).
 */
import { and, eq, isNull, ne } from "drizzle-orm";
import { verificationTokens, type VerificationToken } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import { generateToken, isWellFormedToken, sha256Hex } from "~/lib/crypto.server";

/** ASVS 5 (6.5.5) and NIST 800-63B-4 cap out-of-band secrets at ten minutes. */
export const VERIFICATION_LIFETIME_MS = 10 * 60 * 1000;

export type VerificationPurpose = VerificationToken["purpose"];

export type TokenProblem = "invalid" | "expired" | "used" | "superseded";

export type TokenInspection =
  | { ok: true; email: string; redirectTo: string | null; expiresAt: Date }
  | { ok: false; reason: TokenProblem };

export interface IssuedToken {
  id: number;
  token: string;
  tokenHash: string;
  expiresAt: Date;
}

export async function createVerificationToken(
  db: Database,
  input: { email: string; purpose: VerificationPurpose; redirectTo: string | null; requestIp: string | null },
  now: Date,
): Promise<IssuedToken> {
  const token = generateToken(32);
  const tokenHash = await sha256Hex(token);
  const expiresAt = new Date(now.getTime() + VERIFICATION_LIFETIME_MS);
  const [row] = await db
    .insert(verificationTokens)
    .values({ ...input, tokenHash, createdAt: now, expiresAt })
    .returning({ id: verificationTokens.id });
  return { id: row!.id, token, tokenHash, expiresAt };
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

/**
 * The statement that consumes a live token, stamping it with the session it is about to create. Raw D1
 * rather than drizzle so it can share a D1 batch (one transaction) with the sign-in's other statements.
 */
export function consumeTokenStatement(
  db: Database,
  { tokenHash, purpose, sessionId }: { tokenHash: string; purpose: VerificationPurpose; sessionId: string },
  now: Date,
): D1PreparedStatement {
  return db.$client
    .prepare(
      `UPDATE verification_tokens SET consumed_at = ?1, session_id = ?2
       WHERE token_hash = ?3 AND purpose = ?4 AND consumed_at IS NULL AND superseded_at IS NULL AND expires_at > ?1
       RETURNING email, redirect_to`,
    )
    .bind(now.getTime(), sessionId, tokenHash, purpose);
}

/** Read-only look at a token: what the confirm page shows. Never changes state (TOK-7). */
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
  const problem = tokenProblem(row, now);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, email: row.email, redirectTo: row.redirectTo, expiresAt: row.expiresAt };
}

/** Why a stored token can't be used now, or null if it can. Used after a failed consume, too. */
export function tokenProblem(row: VerificationToken, now: Date): TokenProblem | null {
  if (row.consumedAt) return "used";
  if (row.supersededAt) return "superseded";
  if (row.expiresAt.getTime() <= now.getTime()) return "expired";
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
