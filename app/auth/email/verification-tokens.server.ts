/**
 * The `verification_tokens` table: the one-use secrets we email — a link token and a 6-digit code in one
 * row (links and codes are one model, by design) — plus the "this wasn't me" links in security notices.
 * Only hashes are stored (TOK-2): SHA-256 of the link token, HMAC of the code bound to email and purpose.
 * They live ten minutes (TOK-4); a newer one supersedes older ones (TOK-6); consuming is one conditional
 * UPDATE, so parallel requests can never both succeed (TOK-3). Every statement on the table is here.
 */
import { and, eq, isNull, lt, ne, sql, type SQL } from "drizzle-orm";
import { users, verificationTokens, type VerificationToken } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import { generateToken, isWellFormedToken, keyedHash, sha256Hex } from "~/lib/crypto.server";

/** ASVS 5 (6.5.5) and NIST 800-63B-4 cap out-of-band secrets at ten minutes. */
export const VERIFICATION_LIFETIME_MS = 10 * 60 * 1000;
/** Expired tokens stay a day, so "this link has expired" can still be told apart from "invalid". */
const EXPIRED_TOKEN_GRACE_MS = 24 * 60 * 60 * 1000;

export type VerificationPurpose = VerificationToken["purpose"];

export type TokenProblem = "invalid" | "expired" | "used" | "superseded" | "burned";

export type TokenInspection =
  | { ok: true; email: string; redirectTo: string | null; expiresAt: Date }
  | { ok: false; reason: Exclude<TokenProblem, "burned"> };

export function hashCode(config: AppConfig, { email, purpose, code }: { email: string; purpose: VerificationPurpose; code: string }) {
  return keyedHash(config.sessionSecrets[0]!, "verification-code", purpose, email, code);
}

// --- issuing --------------------------------------------------------------------------------------------

export interface NewToken {
  tokenHash: string;
  codeHash: string;
  email: string;
  purpose: VerificationPurpose;
  redirectTo: string | null;
  at: Date;
  requestIp: string | null;
  /** 1 when a browser known to the address's account asked (a condition evaluated in the statement). */
  knownDevice: SQL;
  /** The per-address limits, and anything else that must hold for the token to be issued. */
  limits: { intervalMs: number; perWindow: number; windowMs: number; also: SQL };
  /** Evaluated into the returned `deliverable` column: whether this token will be emailed. */
  deliverable: SQL;
}

/**
 * Issues a token only if the per-address limits allow it, in ONE statement, so 100 parallel requests for
 * one inbox issue exactly one token (RL-2). The spacing and hourly count are checked within the
 * requester's pool: browsers known to the account count separately from everyone else, so a stranger
 * can't use up the owner's budget. Returns `id, known_device, deliverable`.
 */
export function insertTokenWithinLimits(db: Database, token: NewToken) {
  const { email, purpose, at, limits } = token;
  const samePool = sql`${verificationTokens.email} = ${email} AND ${verificationTokens.purpose} = ${purpose} AND ${verificationTokens.knownDevice} = asked.known`;
  return db.all<{ id: number; known_device: number; deliverable: number }>(sql`
    INSERT INTO ${verificationTokens} (token_hash, code_hash, email, purpose, redirect_to, created_at, expires_at, request_ip, known_device)
    SELECT ${token.tokenHash}, ${token.codeHash}, ${email}, ${purpose}, ${token.redirectTo}, ${at.getTime()},
      ${at.getTime() + VERIFICATION_LIFETIME_MS}, ${token.requestIp}, asked.known
    FROM (SELECT ${token.knownDevice} AS known) AS asked
    WHERE NOT EXISTS (SELECT 1 FROM ${verificationTokens} WHERE ${samePool} AND ${verificationTokens.createdAt} > ${at.getTime() - limits.intervalMs})
      AND (SELECT count(*) FROM ${verificationTokens} WHERE ${samePool} AND ${verificationTokens.createdAt} > ${at.getTime() - limits.windowMs}) < ${limits.perWindow}
      AND ${limits.also}
    RETURNING id, known_device, ${token.deliverable} AS deliverable`);
}

/** True when the token with this hash exists (e.g. this batch just issued it). */
export function tokenIssued(tokenHash: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${verificationTokens} WHERE ${verificationTokens.tokenHash} = ${tokenHash})`;
}

/** When earlier tokens in the requester's pool were sent, newest first: to say when the next can go. */
export function recentTokenTimes(db: Database, { email, purpose, knownDevice, since }: { email: string; purpose: VerificationPurpose; knownDevice: SQL; since: Date }) {
  return db.all<{ created_at: number }>(sql`
    SELECT ${verificationTokens.createdAt} AS created_at FROM ${verificationTokens}
    WHERE ${verificationTokens.email} = ${email} AND ${verificationTokens.purpose} = ${purpose}
      AND ${verificationTokens.knownDevice} = (SELECT ${knownDevice}) AND ${verificationTokens.createdAt} > ${since.getTime()}
    ORDER BY ${verificationTokens.createdAt} DESC`);
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

export function deleteToken(db: Database, id: number) {
  return db.delete(verificationTokens).where(eq(verificationTokens.id, id));
}

/**
 * Retire every older live token for this email and purpose once a newer one has been delivered. A token
 * an unknown browser asked for never retires one that a known device of the account asked for.
 */
export function supersedeOlderTokens(
  db: Database,
  { email, purpose, keepId, knownDevice = false, now }: { email: string; purpose: VerificationPurpose; keepId: number; knownDevice?: boolean; now: Date },
) {
  return db
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

// --- using ----------------------------------------------------------------------------------------------

/** Live: for this address and purpose, unused, not superseded, not expired, with guesses left. */
function liveFor({ email, purpose, now, maxAttempts }: { email: string; purpose: VerificationPurpose; now: Date; maxAttempts: number }): SQL {
  return and(
    eq(verificationTokens.email, email),
    eq(verificationTokens.purpose, purpose),
    isNull(verificationTokens.consumedAt),
    isNull(verificationTokens.supersededAt),
    sql`${verificationTokens.expiresAt} > ${now.getTime()}`,
    lt(verificationTokens.attempts, maxAttempts),
  )!;
}

/**
 * Consumes the live link token with this hash and purpose, stamping it with `stamp` (e.g. the session
 * it creates) so the statements after it in the batch act only on this redemption. Returns
 * `email, redirect_to, event_at`.
 */
export function consumeLinkToken(db: Database, { tokenHash, purpose, now, stamp }: { tokenHash: string; purpose: VerificationPurpose; now: Date; stamp: string }) {
  return db
    .update(verificationTokens)
    .set({ consumedAt: now, sessionId: stamp })
    .where(
      and(
        eq(verificationTokens.tokenHash, tokenHash),
        eq(verificationTokens.purpose, purpose),
        isNull(verificationTokens.consumedAt),
        isNull(verificationTokens.supersededAt),
        sql`${verificationTokens.expiresAt} > ${now.getTime()}`,
      ),
    )
    .returning({ email: verificationTokens.email, redirectTo: verificationTokens.redirectTo, eventAt: verificationTokens.eventAt });
}

export interface CodeGuess {
  email: string;
  purpose: VerificationPurpose;
  codeHash: string;
  now: Date;
  maxAttempts: number;
  /** Unique to this request: stamps the consumed token, or the token a wrong guess counted against. */
  stamp: string;
  /** Must also hold (e.g. the address's code cool-down is not on). */
  when: SQL;
}

/** Consumes the live code for the address when it matches, stamping it. Returns `redirect_to`. */
export function consumeCode(db: Database, guess: CodeGuess) {
  return db
    .update(verificationTokens)
    .set({ consumedAt: guess.now, sessionId: guess.stamp })
    .where(and(liveFor(guess), eq(verificationTokens.codeHash, guess.codeHash), guess.when))
    .returning({ redirectTo: verificationTokens.redirectTo });
}

/**
 * Counts a wrong guess against the address's live code, in the statement that checks it (TOK-5), stamped
 * with the request so the cool-down counts exactly the guesses counted here. A code matching an older,
 * used or expired one of this address is not a guess and isn't counted. Returns `attempts`.
 */
export function countWrongGuess(db: Database, guess: CodeGuess) {
  const anyOfOurCodes = sql`EXISTS (SELECT 1 FROM ${verificationTokens} v2 WHERE v2.email = ${guess.email} AND v2.purpose = ${guess.purpose} AND v2.code_hash = ${guess.codeHash})`;
  return db
    .update(verificationTokens)
    .set({ attempts: sql`${verificationTokens.attempts} + 1`, lastGuessId: guess.stamp })
    .where(and(liveFor(guess), guess.when, sql`NOT ${anyOfOurCodes}`))
    .returning({ attempts: verificationTokens.attempts });
}

/** True when this batch counted a wrong guess stamped `stamp` against one of this address's codes. */
export function guessCounted(email: string, stamp: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${verificationTokens} WHERE ${verificationTokens.email} = ${email} AND ${verificationTokens.lastGuessId} = ${stamp})`;
}

/** The token this batch consumed with `stamp`: the account behind it, as a sign-in subject. */
export function redeemedBy(stamp: string): SQL {
  return sql`SELECT ${users.id} AS user_id, ${verificationTokens.redirectTo} AS redirect_to
    FROM ${verificationTokens} JOIN ${users} ON ${users.email} = ${verificationTokens.email}
    WHERE ${verificationTokens.sessionId} = ${stamp}`;
}

/** The address of the token this batch consumed with `stamp`. */
export function emailRedeemedBy(stamp: string): SQL {
  return sql`SELECT ${verificationTokens.email} AS email FROM ${verificationTokens} WHERE ${verificationTokens.sessionId} = ${stamp}`;
}

/** When the event a notice link (consumed with `stamp`) is about happened. */
export function eventOfLink(stamp: string): SQL {
  return sql`(SELECT coalesce(${verificationTokens.eventAt}, ${verificationTokens.createdAt}) FROM ${verificationTokens} WHERE ${verificationTokens.sessionId} = ${stamp})`;
}

/** Every sign-in or step-up email still in flight for an address (a value or subquery) stops working. */
export function retireInFlightTokens(db: Database, email: SQL, now: Date) {
  return db
    .update(verificationTokens)
    .set({ supersededAt: now })
    .where(
      and(
        sql`${verificationTokens.purpose} IN ('sign-in', 'step-up')`,
        isNull(verificationTokens.consumedAt),
        isNull(verificationTokens.supersededAt),
        eq(verificationTokens.email, email),
      ),
    );
}

// --- reading --------------------------------------------------------------------------------------------

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
  const [row] = await db.select().from(verificationTokens).where(eq(verificationTokens.tokenHash, tokenHash)).limit(1);
  return row;
}

/** Read-only look at a link token: what the confirm page shows. Never changes state (TOK-7). */
export async function inspectVerificationToken(db: Database, token: unknown, purpose: VerificationPurpose, now: Date): Promise<TokenInspection> {
  if (!isWellFormedToken(token)) return { ok: false, reason: "invalid" };
  const row = await findTokenByHash(db, await sha256Hex(token));
  if (!row || row.purpose !== purpose) return { ok: false, reason: "invalid" };
  // A burned code doesn't stop its link: links can't be guessed, so the guess limit is about codes.
  const problem = tokenProblem(row, now, Number.POSITIVE_INFINITY);
  if (problem) return { ok: false, reason: problem as Exclude<TokenProblem, "burned"> };
  return { ok: true, email: row.email, redirectTo: row.redirectTo, expiresAt: row.expiresAt };
}

/** Why a link that consumed nothing was refused: its stored state, or "invalid" if it was never issued. */
export async function whyLinkRefused(db: Database, { tokenHash, purpose, now }: { tokenHash: string; purpose: VerificationPurpose; now: Date }) {
  const row = await findTokenByHash(db, tokenHash);
  const reason = (row && row.purpose === purpose && tokenProblem(row, now, Number.POSITIVE_INFINITY)) || "invalid";
  return { reason: reason as Exclude<TokenProblem, "burned">, email: row?.email };
}

/** For a code that was neither accepted nor counted: the state of the token it belongs to, if any. */
export async function whyCodeRefused(
  db: Database,
  { email, purpose, codeHash, maxAttempts, now }: { email: string; purpose: VerificationPurpose; codeHash: string; maxAttempts: number; now: Date },
): Promise<TokenProblem> {
  // The token this code came from, or else the newest one for this email.
  const [row] = await db
    .select()
    .from(verificationTokens)
    .where(and(eq(verificationTokens.email, email), eq(verificationTokens.purpose, purpose)))
    .orderBy(sql`${verificationTokens.codeHash} = ${codeHash} DESC`, sql`${verificationTokens.createdAt} DESC`)
    .limit(1);
  return (row && tokenProblem(row, now, maxAttempts)) || "invalid";
}

// --- removing -------------------------------------------------------------------------------------------

/** Account deletion: every token ever sent to the address. */
export function deleteTokensForEmail(db: Database, email: string) {
  return db.delete(verificationTokens).where(eq(verificationTokens.email, email));
}

/** Daily purge: tokens expired more than a day ago. */
export function deleteExpiredTokens(db: Database, now: Date) {
  return db.delete(verificationTokens).where(lt(verificationTokens.expiresAt, new Date(now.getTime() - EXPIRED_TOKEN_GRACE_MS)));
}
