/**
 * Token-signing keys: generated here (jose), the private half stored AES-GCM-encrypted, the public half
 * published in the JWKS. Rotation publishes a new key before it signs anything and keeps the previous
 * one published until every token it signed has expired (OP-5). Owner of the oauth_signing_keys table.
 * Why the encryption key is derived from TOTP_ENCRYPTION_KEY: docs/decisions/008-openid-connect-provider.md.
 */
import type { AuthDeps } from "~/auth/deps";
import { and, asc, eq, gt, isNull, lte, ne, or } from "drizzle-orm";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { open, seal } from "~/lib/seal.server";
import { oauthSigningKeys } from "~/db/schema";
import type { Database } from "~/lib/db.server";

export type SigningAlg = (typeof oauthSigningKeys.$inferSelect)["alg"];
/** ES256 for every client unless it is registered for EdDSA (Ed25519; jose supports it in workerd). */
export const SIGNING_ALGS: SigningAlg[] = ["ES256", "EdDSA"];

/** ID tokens and access tokens both live ten minutes: the longest life of anything signed here. */
export const TOKEN_LIFETIME_S = 600;
/** How long clients may cache the JWKS (its Cache-Control max-age). */
export const JWKS_MAX_AGE_S = 300;
/** A new key is published this long before it signs, so a JWKS cached just before rotation already has it. */
export const KEY_PUBLISH_AHEAD_MS = 2 * JWKS_MAX_AGE_S * 1000;
/** The daily cron rotates a key once it is this old. */
export const KEY_ROTATION_INTERVAL_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * How long a replaced key stays published: it still signs during the publish-ahead period of its
 * successor, and a token it signed at the end of that lives TOKEN_LIFETIME_S more (plus a minute of
 * clock skew at the verifier).
 */
export const KEY_RETIREMENT_DELAY_MS = KEY_PUBLISH_AHEAD_MS + TOKEN_LIFETIME_S * 1000 + 60_000;

export type SigningKeyRow = typeof oauthSigningKeys.$inferSelect;

/** The parts of AuthDeps this needs. */
export type KeyDeps = Pick<AuthDeps, "db" | "now"> & { config: Pick<AuthDeps["config"], "totpEncryptionKeys"> };

/** The keys in the JWKS right now (current, next and recently replaced), oldest first. */
export function publishedKeysQuery(db: Database, now: Date) {
  return db
    .select()
    .from(oauthSigningKeys)
    .where(or(isNull(oauthSigningKeys.retireAt), gt(oauthSigningKeys.retireAt, now)))
    .orderBy(asc(oauthSigningKeys.createdAt), asc(oauthSigningKeys.alg), asc(oauthSigningKeys.id));
}

/** The JWKS document for `rows`: public keys only, each with its kid, alg and use. */
export function jwksDocument(rows: SigningKeyRow[]): { keys: JWK[] } {
  return { keys: rows.map((row) => ({ ...row.publicJwk, kid: row.id, alg: row.alg, use: "sig" })) };
}

/**
 * Which published key signs for `alg`. Only a key that stays published for a whole token lifetime more
 * may sign (a token must stay verifiable until it expires); among those, the newest one published for
 * KEY_PUBLISH_AHEAD_MS, or, before any has been (a fresh deployment, an emergency rotation), the oldest.
 * Null when there is none yet.
 */
export function pickSigningKey(rows: SigningKeyRow[], alg: SigningAlg, now: Date): SigningKeyRow | null {
  const lastSigningMoment = now.getTime() + TOKEN_LIFETIME_S * 1000 + 60_000;
  const candidates = rows.filter((row) => row.alg === alg && (row.retireAt === null || row.retireAt.getTime() > lastSigningMoment));
  const mature = candidates.filter((row) => row.createdAt.getTime() <= now.getTime() - KEY_PUBLISH_AHEAD_MS);
  return mature.at(-1) ?? candidates[0] ?? null;
}

export interface Signer {
  kid: string;
  alg: SigningAlg;
  key: CryptoKey;
}

const privateKeys = new Map<string, Promise<CryptoKey>>();

/**
 * Makes sure every algorithm has a key that isn't being replaced: on a deployment's first request, and
 * after `npm run keys -- rotate` (which can only schedule the current keys' retirement: the encryption
 * secret lives in the Worker). Returns `rows` plus whatever was made. Two racing requests may each make
 * one; both are published and the older signs.
 */
export async function ensureSuccessorKeys(deps: KeyDeps, rows: SigningKeyRow[]): Promise<SigningKeyRow[]> {
  const missing = SIGNING_ALGS.filter((alg) => !rows.some((row) => row.alg === alg && row.retireAt === null));
  if (missing.length === 0) return rows;
  const made = await Promise.all(missing.map((alg) => generateKeyRow(deps, alg)));
  await deps.db.insert(oauthSigningKeys).values(made);
  return [...rows, ...made];
}

/** The signer for `alg` among `rows` (the published keys, read in the caller's batch). */
export async function signerFor(deps: KeyDeps, rows: SigningKeyRow[], alg: SigningAlg): Promise<Signer> {
  const row = pickSigningKey(await ensureSuccessorKeys(deps, rows), alg, deps.now());
  if (!row) throw new Error(`no ${alg} signing key`); // ensureSuccessorKeys always leaves one
  let key = privateKeys.get(row.id);
  if (!key) {
    key = openPrivateJwk(deps.config.totpEncryptionKeys, row).then((jwk) => importJWK(jwk, row.alg) as Promise<CryptoKey>);
    // A failed decryption must not stay cached: the next request tries again (e.g. after a config fix).
    key.catch(() => privateKeys.delete(row.id));
    privateKeys.set(row.id, key);
  }
  return { kid: row.id, alg: row.alg, key: await key };
}

async function generateKeyRow(deps: KeyDeps, alg: SigningAlg): Promise<SigningKeyRow> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = (await exportJWK(publicKey)) as Record<string, string>;
  const kid = await calculateJwkThumbprint(publicJwk);
  const sealed = await sealPrivateJwk(deps.config.totpEncryptionKeys, kid, await exportJWK(privateKey));
  return { id: kid, alg, publicJwk, encryptedPrivateJwk: sealed, createdAt: deps.now(), retireAt: null };
}

/**
 * Rotation (the daily cron): a new key per algorithm, and every older key of that algorithm scheduled
 * to leave the JWKS once nothing it signed can still be valid.
 */
export async function rotateSigningKeys(deps: KeyDeps): Promise<{ created: string[] }> {
  const now = deps.now();
  const fresh = await Promise.all(SIGNING_ALGS.map((alg) => generateKeyRow(deps, alg)));
  const retireAt = new Date(now.getTime() + KEY_RETIREMENT_DELAY_MS);
  const retireOlder = fresh.map((row) =>
    deps.db
      .update(oauthSigningKeys)
      .set({ retireAt })
      .where(and(eq(oauthSigningKeys.alg, row.alg), ne(oauthSigningKeys.id, row.id), isNull(oauthSigningKeys.retireAt))),
  );
  await deps.db.batch([deps.db.insert(oauthSigningKeys).values(fresh), ...retireOlder]);
  return { created: fresh.map((row) => row.id) };
}

/** The cron's check: rotates when an algorithm's newest key is older than KEY_ROTATION_INTERVAL_MS. */
export async function rotateSigningKeysIfDue(deps: KeyDeps): Promise<{ created: string[] }> {
  const now = deps.now();
  const rows = await publishedKeysQuery(deps.db, now);
  const due = SIGNING_ALGS.some((alg) => {
    const newest = rows.filter((row) => row.alg === alg && row.retireAt === null).at(-1);
    return !newest || newest.createdAt.getTime() <= now.getTime() - KEY_ROTATION_INTERVAL_MS;
  });
  return due ? rotateSigningKeys(deps) : { created: [] };
}

/** Keys that have left the JWKS are never used again: the daily purge deletes them. */
export function deleteRetiredKeys(db: Database, now: Date) {
  return db.delete(oauthSigningKeys).where(lte(oauthSigningKeys.retireAt, now));
}

// --- private keys at rest -------------------------------------------------------------------------------

/** HKDF's label: keys derived for signing keys are unrelated to those derived for TOTP secrets. */
const SIGNING_KEY_SEAL = "latchkey oidc signing key v1";

/** Sealed under the first key; the kid is associated data, so rows can't be swapped. */
export function sealPrivateJwk(keys: string[], kid: string, jwk: JWK): Promise<string> {
  return seal(keys, { label: SIGNING_KEY_SEAL, boundTo: kid }, new TextEncoder().encode(JSON.stringify(jwk)));
}

/** Tries each configured key in turn, so TOTP_ENCRYPTION_KEY can rotate (new first, old kept a while). */
async function openPrivateJwk(keys: string[], row: Pick<SigningKeyRow, "id" | "encryptedPrivateJwk">): Promise<JWK> {
  const plain = await open(keys, { label: SIGNING_KEY_SEAL, boundTo: row.id }, row.encryptedPrivateJwk);
  if (!plain) throw new Error(`signing key ${row.id}: no TOTP_ENCRYPTION_KEY decrypts it`);
  return JSON.parse(new TextDecoder().decode(plain)) as JWK;
}
