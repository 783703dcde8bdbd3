/**
 * What an app holds after a person signs in to it: authorization codes (one use, 60 seconds), the grant
 * a code turns into, and the grant's rotating refresh tokens. Every grant hangs on the Latchkey session
 * it came from, so ending that session ends the app's access at once (OP-4). Owner of the
 * oauth_authorization_codes, oauth_grants and oauth_refresh_tokens tables.
 *
 * Each redemption is one D1 batch (one transaction): a conditional UPDATE … RETURNING consumes the code
 * or refresh token, and the statements after it act only on the row that this request's stamp marked,
 * so two parallel redemptions can never both win (TOK-3, OP-3, OP-4).
 */
import type { AuthDeps } from "~/auth/deps";
import { and, eq, gt, inArray, isNull, like, lte, sql } from "drizzle-orm";
import {
  oauthAuthorizationCodes as codes,
  oauthClients,
  oauthGrants as grants,
  oauthRefreshTokens as refreshTokens,
  sessions,
  users,
} from "~/db/schema";
import type { Database } from "~/lib/db.server";
import { generateId, generateToken, sha256Hex } from "~/lib/crypto.server";
import { isLiveSession, touchSession } from "~/auth/session/sessions.server";
import { latestGitHubJson } from "~/auth/identities/identities.server";
import type { ClaimsSource } from "./claims";
import { publishedKeysQuery, type SigningKeyRow } from "./keys.server";
import type { AuthorizationFacts } from "./tokens.server";

/** OP-3: a code is redeemed within seconds of its redirect; a minute is generous. */
export const CODE_LIFETIME_MS = 60 * 1000;

/** The parts of AuthDeps this needs. */
export type GrantDeps = Pick<AuthDeps, "db" | "now"> & { config: Pick<AuthDeps["config"], "sessionIdleMs"> };

// --- codes ------------------------------------------------------------------------------------------------

export interface CodeRequest {
  clientId: string;
  userId: string;
  sessionId: string;
  redirectUri: string;
  scope: string;
  nonce: string | null;
  codeChallenge: string;
  authTime: Date;
  method: string | null;
}

/** A new code (256 bits, TOK-1) and the statement that stores its hash; the caller runs it (alone or in a batch). */
export async function prepareAuthorizationCode(db: Database, request: CodeRequest, now: Date) {
  const code = generateToken(32);
  const statement = db.insert(codes).values({
    id: await sha256Hex(code),
    grantId: generateId("grt"),
    ...request,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CODE_LIFETIME_MS),
  });
  return { code, statement };
}

// --- reading what a token response needs ------------------------------------------------------------------

/** The person's claims, for the user id that `userId` (a scalar subquery) yields. */
function personQuery(db: Database, userId: ReturnType<typeof sql>) {
  return db
    .select({ id: users.id, email: users.email, emailVerifiedAt: users.emailVerifiedAt, github: latestGitHubJson(sql`${users.id}`) })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
}

function readPerson(row: { id: string; email: string; emailVerifiedAt: Date | null; github: string | null } | undefined): ClaimsSource | null {
  if (!row) return null;
  return { ...row, github: row.github === null ? null : (JSON.parse(row.github) as ClaimsSource["github"]) };
}

/** Everything needed to answer a token request with tokens. */
export interface Issued {
  facts: AuthorizationFacts;
  person: ClaimsSource;
  keys: SigningKeyRow[];
  refreshToken: string | null;
}

// --- authorization_code grant -----------------------------------------------------------------------------

export type CodeRedemption =
  | ({ ok: true; nonce: string | null } & Issued)
  | { ok: false; reason: "unknown" | "replayed" | "expired" | "wrong-client" | "wrong-redirect-uri" | "wrong-verifier" | "session-ended" };

/**
 * Redeems a code for its grant (and a refresh token when `offline_access` was granted). The code is
 * consumed by the first attempt whatever else is wrong with it, so a stolen code tried with a wrong
 * verifier is dead for everyone. A code that comes back after its first use revokes the grant that use
 * created (RFC 6749 §4.1.2): whoever holds it now may not be the app.
 */
export async function redeemAuthorizationCode(
  deps: GrantDeps,
  input: { code: string; clientId: string; redirectUri: string; codeVerifier: string },
): Promise<CodeRedemption> {
  const { db } = deps;
  const now = deps.now();
  const codeHash = await sha256Hex(input.code);
  const challenge = await s256(input.codeVerifier);
  const stamp = generateId("use");
  const refreshToken = generateToken(32);
  const thisRedemption = and(eq(codes.id, codeHash), eq(codes.consumedBy, stamp));

  const [consumed, created, refresh, person, keys] = await db.batch([
    db
      .update(codes)
      .set({ consumedAt: now, consumedBy: stamp })
      .where(and(eq(codes.id, codeHash), isNull(codes.consumedAt)))
      .returning({
        clientId: codes.clientId,
        redirectUri: codes.redirectUri,
        codeChallenge: codes.codeChallenge,
        expiresAt: codes.expiresAt,
        nonce: codes.nonce,
      }),
    db
      .insert(grants)
      .select(
        db
          .select({
            id: codes.grantId,
            clientId: codes.clientId,
            userId: codes.userId,
            sessionId: codes.sessionId,
            scope: codes.scope,
            authTime: codes.authTime,
            method: codes.method,
            createdAt: sql<number>`${now.getTime()}`.as("created_at"),
            lastUsedAt: sql<number>`${now.getTime()}`.as("last_used_at"),
          })
          .from(codes)
          .innerJoin(sessions, eq(sessions.id, codes.sessionId))
          .innerJoin(oauthClients, eq(oauthClients.id, codes.clientId))
          .where(
            and(
              thisRedemption,
              gt(codes.expiresAt, now),
              eq(codes.clientId, input.clientId),
              eq(codes.redirectUri, input.redirectUri),
              eq(codes.codeChallenge, challenge),
              isLiveSession(now, deps.config),
              isNull(oauthClients.disabledAt),
            ),
          ),
      )
      .returning(),
    db
      .insert(refreshTokens)
      .select(
        db
          .select({
            id: sql<string>`${await sha256Hex(refreshToken)}`.as("id"),
            grantId: grants.id,
            createdAt: sql<number>`${now.getTime()}`.as("created_at"),
            usedAt: sql<null>`NULL`.as("used_at"),
            replacedBy: sql<null>`NULL`.as("replaced_by"),
          })
          .from(grants)
          .innerJoin(codes, eq(codes.grantId, grants.id))
          .where(and(thisRedemption, like(sql`' ' || ${grants.scope} || ' '`, "% offline_access %"))),
      )
      .returning({ id: refreshTokens.id }),
    personQuery(db, sql`(SELECT ${codes.userId} FROM ${codes} WHERE ${codes.id} = ${codeHash} AND ${codes.consumedBy} = ${stamp})`),
    publishedKeysQuery(db, now),
  ]);

  const code = consumed[0];
  if (!code) return (await revokeReplayedCode(deps, codeHash)) ? { ok: false, reason: "replayed" } : { ok: false, reason: "unknown" };
  const grant = created[0];
  const holder = readPerson(person[0]);
  if (!grant || !holder) {
    if (code.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired" };
    if (code.clientId !== input.clientId) return { ok: false, reason: "wrong-client" };
    if (code.redirectUri !== input.redirectUri) return { ok: false, reason: "wrong-redirect-uri" };
    if (code.codeChallenge !== challenge) return { ok: false, reason: "wrong-verifier" };
    return { ok: false, reason: "session-ended" };
  }
  return {
    ok: true,
    nonce: code.nonce,
    facts: { ...grant, grantId: grant.id },
    person: holder,
    keys,
    refreshToken: refresh.length > 0 ? refreshToken : null,
  };
}

/** A consumed code came back: revoke whatever its first redemption created. True if the code was ours. */
async function revokeReplayedCode(deps: GrantDeps, codeHash: string): Promise<boolean> {
  const [row] = await deps.db.select({ grantId: codes.grantId }).from(codes).where(eq(codes.id, codeHash)).limit(1);
  if (!row) return false;
  await revokeGrant(deps.db, row.grantId);
  return true;
}

/** base64url(SHA-256(verifier)): the S256 code challenge (RFC 7636 §4.2). */
async function s256(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...digest)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

// --- refresh_token grant ----------------------------------------------------------------------------------

export type RefreshResult = ({ ok: true } & Issued & { refreshToken: string }) | { ok: false; reason: "unknown" | "reused" | "revoked" };

/**
 * Rotates a refresh token (OP-4): the presented one is marked used and its successor issued in one
 * batch, only for the client it was issued to, while the grant's session is alive and the client
 * enabled. A token that was already used is a sign it was copied: the whole grant is revoked, so the
 * copy and the original both stop working (RFC 9700 §4.14.2).
 */
export async function rotateRefreshToken(deps: GrantDeps, input: { refreshToken: string; clientId: string }): Promise<RefreshResult> {
  const { db } = deps;
  const now = deps.now();
  const presented = await sha256Hex(input.refreshToken);
  const successor = generateToken(32);
  const successorHash = await sha256Hex(successor);
  const successorGrant = sql`(SELECT ${refreshTokens.grantId} FROM ${refreshTokens} WHERE ${refreshTokens.id} = ${successorHash})`;
  const liveGrantsOfClient = db
    .select({ id: grants.id })
    .from(grants)
    .innerJoin(sessions, eq(sessions.id, grants.sessionId))
    .innerJoin(oauthClients, eq(oauthClients.id, grants.clientId))
    .where(and(eq(grants.clientId, input.clientId), isLiveSession(now, deps.config), isNull(oauthClients.disabledAt)));

  const [rotated, , grant, , person, keys] = await db.batch([
    db
      .update(refreshTokens)
      .set({ usedAt: now, replacedBy: successorHash })
      .where(and(eq(refreshTokens.id, presented), isNull(refreshTokens.usedAt), inArray(refreshTokens.grantId, liveGrantsOfClient)))
      .returning({ grantId: refreshTokens.grantId }),
    db.insert(refreshTokens).select(
      db
        .select({
          id: sql<string>`${successorHash}`.as("id"),
          grantId: refreshTokens.grantId,
          createdAt: sql<number>`${now.getTime()}`.as("created_at"),
          usedAt: sql<null>`NULL`.as("used_at"),
          replacedBy: sql<null>`NULL`.as("replaced_by"),
        })
        .from(refreshTokens)
        .where(and(eq(refreshTokens.id, presented), eq(refreshTokens.replacedBy, successorHash))),
    ),
    db.update(grants).set({ lastUsedAt: now }).where(eq(grants.id, successorGrant)).returning(),
    touchSession(db, sql`(SELECT ${grants.sessionId} FROM ${grants} WHERE ${grants.id} = ${successorGrant})`, now),
    personQuery(db, sql`(SELECT ${grants.userId} FROM ${grants} WHERE ${grants.id} = ${successorGrant})`),
    publishedKeysQuery(db, now),
  ]);

  const row = grant[0];
  const holder = readPerson(person[0]);
  if (rotated.length === 0 || !row || !holder) return { ok: false, reason: await explainRefreshFailure(deps, presented, input.clientId) };
  return { ok: true, facts: { ...row, grantId: row.id }, person: holder, keys, refreshToken: successor };
}

/** Why a refresh token didn't rotate; a reused one (of this client) revokes its grant on the way. */
async function explainRefreshFailure(deps: GrantDeps, presented: string, clientId: string): Promise<"unknown" | "reused" | "revoked"> {
  const [row] = await deps.db
    .select({ usedAt: refreshTokens.usedAt, grantId: refreshTokens.grantId, clientId: grants.clientId })
    .from(refreshTokens)
    .innerJoin(grants, eq(grants.id, refreshTokens.grantId))
    .where(eq(refreshTokens.id, presented))
    .limit(1);
  if (!row || row.clientId !== clientId) return "unknown";
  if (row.usedAt === null) return "revoked"; // the session ended or the client was disabled
  await revokeGrant(deps.db, row.grantId);
  return "reused";
}

// --- revocation -------------------------------------------------------------------------------------------

/**
 * Ends a grant: its refresh tokens stop working now, and its access tokens at /oauth/userinfo. (Spelled
 * out although the foreign key cascades, so it holds even where foreign keys are off.)
 */
export async function revokeGrant(db: Database, grantId: string): Promise<void> {
  await db.batch([db.delete(refreshTokens).where(eq(refreshTokens.grantId, grantId)), db.delete(grants).where(eq(grants.id, grantId))]);
}

/** The grant behind a refresh token and the client it was issued to, or null. */
export async function findGrantOfRefreshToken(db: Database, token: string): Promise<{ grantId: string; clientId: string } | null> {
  const [row] = await db
    .select({ grantId: grants.id, clientId: grants.clientId })
    .from(refreshTokens)
    .innerJoin(grants, eq(grants.id, refreshTokens.grantId))
    .where(eq(refreshTokens.id, await sha256Hex(token)))
    .limit(1);
  return row ?? null;
}

/**
 * The grant an access token names, with its person, if it is still alive: the session it hangs on is
 * live and the client enabled. /oauth/userinfo runs this in one batch with the published keys.
 */
export function liveGrantQuery(db: Database, grantId: string, now: Date, config: GrantDeps["config"]) {
  return db
    .select({ clientId: grants.clientId, userId: grants.userId, email: users.email, emailVerifiedAt: users.emailVerifiedAt, github: latestGitHubJson(sql`${users.id}`) })
    .from(grants)
    .innerJoin(sessions, eq(sessions.id, grants.sessionId))
    .innerJoin(oauthClients, eq(oauthClients.id, grants.clientId))
    .innerJoin(users, eq(users.id, grants.userId))
    .where(and(eq(grants.id, grantId), isLiveSession(now, config), isNull(oauthClients.disabledAt)))
    .limit(1);
}

export function readLiveGrant(rows: Awaited<ReturnType<typeof liveGrantQuery>>): { clientId: string; person: ClaimsSource } | null {
  const row = rows[0];
  if (!row) return null;
  return { clientId: row.clientId, person: readPerson({ id: row.userId, email: row.email, emailVerifiedAt: row.emailVerifiedAt, github: row.github })! };
}

// --- the account page ---------------------------------------------------------------------------------------

/** "Revoke access" for one app: its grants (and so its refresh tokens) for this person, in one batch with `extra`. */
export function revokeAppGrantsStatements(db: Database, { userId, clientId }: { userId: string; clientId: string }) {
  const theirGrants = db.select({ id: grants.id }).from(grants).where(and(eq(grants.userId, userId), eq(grants.clientId, clientId)));
  return [
    db.delete(refreshTokens).where(inArray(refreshTokens.grantId, theirGrants)),
    db.delete(codes).where(and(eq(codes.userId, userId), eq(codes.clientId, clientId))),
    db.delete(grants).where(and(eq(grants.userId, userId), eq(grants.clientId, clientId))).returning({ id: grants.id }),
  ] as const;
}

/** The daily purge: codes a day past expiry (kept that long so a replay still finds and revokes its grant). */
export function deleteExpiredCodes(db: Database, now: Date) {
  return db.delete(codes).where(lte(codes.expiresAt, new Date(now.getTime() - 24 * 60 * 60 * 1000)));
}

/** Account deletion: every grant (and so every refresh token) and code of the user. */
export function deleteUserGrants(db: Database, userId: string) {
  return db.delete(grants).where(eq(grants.userId, userId));
}

export function deleteUserCodes(db: Database, userId: string) {
  return db.delete(codes).where(eq(codes.userId, userId));
}
