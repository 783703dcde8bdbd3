/**
 * The account page's data and its everyday actions: where you're signed in (and signing sessions out),
 * linked provider accounts, passkeys, apps, two-factor status and the security log in words — read in one
 * D1 batch (one round trip).
 */
import { runBatch } from "~/db/batch.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { describeBrowser } from "~/lib/user-agent";
import { describePlace } from "~/lib/client-info.server";
import { connectedAppsQuery, type ConnectedApp } from "~/provider/connected-apps.server";
import type { AuthDeps } from "../deps";
import { ACTIVITY_WORDS, describeActivity, describeSignInMethod, REPEATABLE_EVENTS } from "../audit/activity";
import { listUserEvents, recordAuthEvent, type AuthEventType } from "../audit/events.server";
import { deleteUserIdentity, listUserIdentities, type IdentityProvider } from "../identities/identities.server";
import { listPasskeys } from "../passkeys/statements.server";
import { deleteUserPendingSignIns } from "../session/pending-sign-ins.server";
import { deleteUserSession, deleteUserSessions, listLiveSessions } from "../session/sessions.server";
import { twoFactorStatusQuery, type TwoFactorStatus } from "../two-factor/enrollment.server";

export interface SessionListing {
  /** The session row's id (a hash of its token, so showing it reveals nothing usable). */
  id: string;
  current: boolean;
  browser: string;
  location: string | null;
  ip: string | null;
  signedIn: string;
  createdAt: Date;
  lastSeenAt: Date;
}

export interface LinkedIdentity {
  id: string;
  provider: IdentityProvider;
  login: string | null;
  name: string | null;
  email: string | null;
  hostedDomain: string | null;
  linkedAt: Date;
}

export interface PasskeyListing {
  id: string;
  name: string;
  backupEligible: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ActivityItem {
  id: number;
  description: string;
  at: Date;
}

/** Only entries the account page has words for (activity.ts). */
const SHOWN_EVENTS = Object.keys(ACTIVITY_WORDS) as AuthEventType[];

export interface AccountOverview {
  twoFactor: TwoFactorStatus;
  sessions: SessionListing[];
  identities: LinkedIdentity[];
  passkeys: PasskeyListing[];
  activity: ActivityItem[];
  apps: ConnectedApp[];
}

/** Everything the account page shows besides the profile, in one D1 batch. */
export async function loadAccountOverview(
  deps: Pick<AuthDeps, "db" | "config" | "now">,
  { userId, currentSessionId }: { userId: string; currentSessionId: string },
): Promise<AccountOverview> {
  const { db, config } = deps;
  const now = deps.now();
  const twoFactor = twoFactorStatusQuery(db, userId);
  const apps = connectedAppsQuery(deps, { userId, now });
  const results = await runBatch(db, {
    twoFactor: twoFactor.statement,
    sessions: listLiveSessions(db, { userId, currentId: currentSessionId, now, config }),
    identities: listUserIdentities(db, userId),
    passkeys: listPasskeys(db, userId),
    activity: listUserEvents(db, { userId, types: SHOWN_EVENTS, limit: 50 }),
    apps: apps.statement,
  });
  return {
    twoFactor: twoFactor.read(results.twoFactor),
    sessions: results.sessions.map((row) => ({
      id: row.id,
      current: row.id === currentSessionId,
      browser: describeBrowser(row.userAgent),
      location: describePlace(row),
      ip: row.ip,
      signedIn: describeSignInMethod(row.method),
      createdAt: row.createdAt,
      lastSeenAt: row.lastSeenAt,
    })),
    identities: results.identities,
    passkeys: results.passkeys,
    activity: describeRuns(results.activity),
    apps: apps.read(results.apps),
  };
}

type EventRow = { id: number; type: string; detail: string | null; userAgent: string | null; country: string | null; createdAt: Date };

/** Newest first; a run of the same repeatable failure from the same browser reads as one line. */
function describeRuns(rows: EventRow[]): ActivityItem[] {
  const runs: { row: EventRow; count: number }[] = [];
  for (const row of rows) {
    const last = runs.at(-1);
    const same = last && REPEATABLE_EVENTS.has(row.type) && last.row.type === row.type && last.row.detail === row.detail;
    if (same && last.row.userAgent === row.userAgent && last.row.country === row.country) last.count++;
    else runs.push({ row, count: 1 });
  }
  return runs.flatMap(({ row, count }) => {
    const description = describeActivity({ type: row.type, detail: row.detail, userAgent: row.userAgent, country: row.country }, count);
    return description ? [{ id: row.id, description, at: row.createdAt }] : [];
  });
}

/** Signs out one of this user's sessions. Someone else's session id simply matches nothing. */
export async function revokeSession(deps: AuthDeps, { userId, sessionId, client }: { userId: string; sessionId: string; client: ClientInfo }): Promise<{ ok: boolean }> {
  const rows = await deleteUserSession(deps.db, { id: sessionId, userId });
  if (rows.length > 0) recordAuthEvent(deps, { type: "session_revoked", userId, client });
  return { ok: rows.length > 0 };
}

/** "Sign out everywhere else": every session but this one, and any sign-in waiting for its second step. */
export async function revokeOtherSessions(
  deps: AuthDeps,
  { userId, currentSessionId, client }: { userId: string; currentSessionId: string; client: ClientInfo },
): Promise<{ revoked: number }> {
  const { sessions } = await runBatch(deps.db, {
    sessions: deleteUserSessions(deps.db, userId, { except: currentSessionId }),
    pending: deleteUserPendingSignIns(deps.db, userId),
  });
  const revoked = sessions.length;
  if (revoked > 0) recordAuthEvent(deps, { type: "other_sessions_revoked", detail: String(revoked), userId, client });
  return { revoked };
}

const UNLINKED_EVENTS: Record<IdentityProvider, AuthEventType> = { github: "github_unlinked", google: "google_unlinked" };

/** Removes one linked provider account of this user; email sign-in always remains. */
export async function unlinkIdentity(
  deps: AuthDeps,
  { userId, identityId, client }: { userId: string; identityId: unknown; client: ClientInfo },
): Promise<{ ok: true; provider: IdentityProvider } | { ok: false }> {
  if (typeof identityId !== "string" || identityId.length > 64) return { ok: false };
  const [row] = await deleteUserIdentity(deps.db, { id: identityId, userId });
  if (!row) return { ok: false };
  const detail = row.provider === "github" ? row.login : row.hostedDomain;
  recordAuthEvent(deps, { type: UNLINKED_EVENTS[row.provider], detail: detail ?? undefined, userId, client });
  return { ok: true, provider: row.provider };
}
