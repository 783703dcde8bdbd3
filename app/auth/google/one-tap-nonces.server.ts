/**
 * The nonces One Tap prompts carry (OA-1, TOK-3), and the `spent_nonces` table's one owner. A page that
 * shows One Tap gets a random nonce bound to the browser by a signed cookie that also says when it was
 * issued; Google puts it into the ID token it mints. The POST accepts a token only with the nonce of this
 * browser's cookie, issued in the last 10 minutes, and spends it with one INSERT, so a credential works
 * once even if it is posted twice in parallel. Nothing is written when a page is merely viewed.
 */
import { lt } from "drizzle-orm";
import { spentNonces } from "~/db/schema";
import { appCookie, readCookieValue, serializeExpiredCookie } from "~/lib/cookies.server";
import { generateToken, sha256Hex } from "~/lib/crypto.server";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";

export const ONE_TAP_NONCE_LIFETIME_MS = 10 * 60 * 1000;
/** A page viewed again within this keeps the nonce it had, so two open tabs don't spoil each other's. */
const NONCE_REUSE_MS = 5 * 60 * 1000;

const nonceCookie = (config: AppConfig) => appCookie(config, "latchkey_google_nonce", ONE_TAP_NONCE_LIFETIME_MS / 1000);

async function readIssued(request: Request, config: AppConfig): Promise<{ nonce: string; issuedAt: number } | null> {
  const value = await readCookieValue(request, nonceCookie(config));
  const match = /^([A-Za-z0-9_-]{43})\.(\d{1,15})$/.exec(value ?? "");
  return match ? { nonce: match[1]!, issuedAt: Number(match[2]) } : null;
}

/** The nonce for this page's prompt, and the Set-Cookie to send when it is a new one. */
export async function issueOneTapNonce(request: Request, config: AppConfig, now: Date): Promise<{ nonce: string; setCookie: string | null }> {
  const current = await readIssued(request, config);
  if (current && current.issuedAt <= now.getTime() && now.getTime() - current.issuedAt < NONCE_REUSE_MS) {
    return { nonce: current.nonce, setCookie: null };
  }
  const nonce = generateToken(32);
  return { nonce, setCookie: await nonceCookie(config).serialize(`${nonce}.${now.getTime()}`) };
}

/** This browser's nonce if it was issued in the last 10 minutes, else null. */
export async function readOneTapNonce(request: Request, config: AppConfig, now: Date): Promise<string | null> {
  const issued = await readIssued(request, config);
  if (!issued || issued.issuedAt > now.getTime() || now.getTime() - issued.issuedAt >= ONE_TAP_NONCE_LIFETIME_MS) return null;
  return issued.nonce;
}

export function serializeExpiredOneTapNonce(config: AppConfig): Promise<string> {
  return serializeExpiredCookie(nonceCookie(config));
}

/** Spends a nonce: true the first time, false for every later (or parallel, losing) use. */
export async function spendNonce(db: Database, nonce: string, now: Date): Promise<boolean> {
  const [spent] = await db
    .insert(spentNonces)
    .values({ id: await sha256Hex(nonce), expiresAt: new Date(now.getTime() + ONE_TAP_NONCE_LIFETIME_MS) })
    .onConflictDoNothing()
    .returning({ id: spentNonces.id });
  return spent !== undefined;
}

/** Daily purge: spent nonces past their own expiry can never be replayed anyway. */
export function deleteExpiredNonces(db: Database, now: Date) {
  return db.delete(spentNonces).where(lt(spentNonces.expiresAt, now));
}
