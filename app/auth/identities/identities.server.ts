/**
 * The `identities` table — provider accounts (GitHub, Google) that sign in to a Latchkey user — and the
 * rules for finding a provider profile's user, the same for every provider (OA-3; decisions 004 and 009):
 * the key is the provider's stable id, an existing account is matched only through an email the provider
 * verified, and that match is attached only by the batch that completes the sign-in (session start, or
 * the second step), never before.
 */
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { identities, users } from "~/db/schema";
import { runBatch } from "~/db/batch.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateId } from "~/lib/crypto.server";
import type { Database } from "~/lib/db.server";
import type { AuthDeps } from "../deps";
import { recordAuthEvent, type AuthEventType } from "../audit/events.server";
import { sendSecurityNotice } from "../audit/notices.server";
import { insertUserIfNew } from "../users/users.server";

export type IdentityProvider = "github" | "google";

/**
 * A provider account to attach to a user, written only by the batch that completes the sign-in (or, for
 * a user with 2FA on, the one that completes its second step). Until then an identity that matched the
 * account by email alone gives its holder nothing.
 */
export interface IdentityLink {
  id: string;
  provider: IdentityProvider;
  providerUserId: string;
  login: string | null;
  name: string | null;
  avatarUrl: string | null;
  email: string;
  /** Google Workspace domain (`hd`); absent in links stored before Google sign-in existed. */
  hostedDomain?: string | null;
}

/** What a provider vouched for, after its own checks: the stable id and a verified, normalized email. */
export interface ProviderProfile {
  provider: IdentityProvider;
  /** GitHub's numeric id as text, Google's `sub`: the only stable key (logins and emails change). */
  providerUserId: string;
  /** An address the provider says this account has verified, normalized (checkEmail). */
  verifiedEmail: string;
  login: string | null;
  name: string | null;
  avatarUrl: string | null;
  /** Google Workspace: the organisation's domain (`hd`). */
  hostedDomain: string | null;
}

export type ResolveResult =
  | { ok: true; userId: string; email: string; how: "returning" | "created" }
  | { ok: true; userId: string; email: string; how: "link"; link: IdentityLink }
  | { ok: false; reason: "signup-closed" };

/**
 * The user's most recently used GitHub account as JSON (`login`, `name`, `avatarUrl`), as one correlated
 * subquery: a user may have linked several, and the session lookup must stay one row and one round trip.
 */
export function latestGitHubJson(userId: SQL) {
  return sql<string | null>`(SELECT json_object('login', login, 'name', name, 'avatarUrl', avatar_url) FROM ${identities}
    WHERE ${identities.userId} = ${userId} AND ${identities.provider} = 'github' ORDER BY ${identities.updatedAt} DESC LIMIT 1)`;
}

function identityExists(provider: IdentityProvider, providerUserId: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${identities} WHERE ${identities.provider} = ${provider} AND ${identities.providerUserId} = ${providerUserId})`;
}

/**
 * Inserts `link` for the user that `userQuery` (a one-column SELECT) yields in the same batch, and only
 * then; a provider account already linked stays as it is. Returns the new row's `id`.
 */
export function insertIdentityFor(db: Database, userQuery: SQL, link: IdentityLink, at: Date) {
  return db.all<{ id: string }>(sql`
    INSERT INTO ${identities} (id, user_id, provider, provider_user_id, login, name, avatar_url, email, hosted_domain, created_at, updated_at)
    SELECT ${link.id}, (${userQuery}), ${link.provider}, ${link.providerUserId}, ${link.login}, ${link.name}, ${link.avatarUrl},
      ${link.email}, ${link.hostedDomain ?? null}, ${at.getTime()}, ${at.getTime()}
    WHERE (${userQuery}) IS NOT NULL
    ON CONFLICT (provider, provider_user_id) DO NOTHING
    RETURNING id`);
}

/**
 * The Latchkey user for a provider profile: the one this provider account is linked to (whatever email
 * the provider shows now), else the user with the verified email (to be linked when the sign-in
 * completes), else a new user (unless sign-up is off). One D1 batch, so it is a single transaction.
 */
export async function resolveIdentityUser(
  { db, config, now }: Pick<AuthDeps, "db" | "config" | "now">,
  profile: ProviderProfile,
): Promise<ResolveResult> {
  const { provider, providerUserId, verifiedEmail: email, login, name, avatarUrl, hostedDomain } = profile;
  const at = now();
  const newUserId = generateId("usr");
  const exists = identityExists(provider, providerUserId);
  const newLink: IdentityLink = { id: generateId("idn"), provider, providerUserId, login, name, avatarUrl, email, hostedDomain };
  const { refreshed, created, existing } = await runBatch(db, {
    // A returning provider account: its profile fields are refreshed.
    refreshed: db
      .update(identities)
      .set({ login, name, avatarUrl, email, hostedDomain, updatedAt: at })
      .where(and(eq(identities.provider, provider), eq(identities.providerUserId, providerUserId)))
      .returning({ userId: identities.userId, userEmail: sql<string>`(SELECT ${users.email} FROM ${users} WHERE ${users.id} = ${identities.userId})` }),
    // Nobody has it or the email: a new account…
    created: insertUserIfNew(db, { id: newUserId, email, at, when: sql`${config.allowSignup ? 1 : 0} AND NOT ${exists}` }),
    // …which has no second factor to wait for, so its identity is attached at once.
    attached: insertIdentityFor(db, sql`SELECT ${users.id} FROM ${users} WHERE ${users.id} = ${newUserId}`, newLink, at),
    // Else the account with the verified email: a link candidate, written by the completing batch.
    existing: db.select({ id: users.id }).from(users).where(and(eq(users.email, email), sql`NOT ${exists}`)),
  });
  const returning = refreshed[0];
  if (returning) return { ok: true, userId: returning.userId, email: returning.userEmail, how: "returning" };
  if (created.length > 0) return { ok: true, userId: newUserId, email, how: "created" };
  const user = existing[0];
  if (user) return { ok: true, userId: user.id, email, how: "link", link: newLink };
  // Nothing matched. The batch is one transaction, so a parallel sign-in for this provider account
  // either committed first (statement 1 would have matched) or will find ours: this is sign-up being off.
  return { ok: false, reason: "signup-closed" };
}

/** Every provider account linked to a user, oldest first. */
export function listUserIdentities(db: Database, userId: string) {
  return db
    .select({
      id: identities.id,
      provider: identities.provider,
      login: identities.login,
      name: identities.name,
      email: identities.email,
      hostedDomain: identities.hostedDomain,
      linkedAt: identities.createdAt,
    })
    .from(identities)
    .where(eq(identities.userId, userId))
    .orderBy(asc(identities.createdAt), asc(identities.id));
}

/** One of this user's linked provider accounts. */
export function deleteUserIdentity(db: Database, { id, userId }: { id: string; userId: string }) {
  return db
    .delete(identities)
    .where(and(eq(identities.id, id), eq(identities.userId, userId)))
    .returning({ provider: identities.provider, login: identities.login, hostedDomain: identities.hostedDomain });
}

/** Every provider account of a user (an id or a subquery). */
export function deleteUserIdentities(db: Database, userId: string | SQL) {
  return db.delete(identities).where(eq(identities.userId, userId)).returning({ provider: identities.provider, login: identities.login });
}

const LINKED_EVENTS: Record<IdentityProvider, AuthEventType> = { github: "github_linked", google: "google_linked" };

/** The log entry and the notice (EM-5) for a provider account that was just attached to a user. */
export function reportIdentityLinked(
  deps: AuthDeps,
  { userId, email, link, client }: { userId: string; email: string; link: IdentityLink; client: ClientInfo },
): void {
  // The log never holds an email in clear (LOG-2): GitHub's login, or a Workspace domain, is the detail.
  const detail = link.provider === "github" ? link.login : link.hostedDomain;
  recordAuthEvent(deps, { type: LINKED_EVENTS[link.provider], detail: detail ?? undefined, email, userId, client });
  sendSecurityNotice(deps, client, { to: email, ...linkedNotice(email, link) });
}

/** EM-5: a new way into the account was added; tell the account's own address, with what to do. */
function linkedNotice(to: string, link: IdentityLink) {
  if (link.provider === "google") {
    const account = link.email;
    const workspace = link.hostedDomain ? ` (a Google Workspace account of ${link.hostedDomain})` : "";
    return {
      subject: `Google account ${account} was linked to your Latchkey account`,
      heading: "A Google account was linked to your account",
      paragraphs: [
        `The Google account ${account}${workspace} signed in to your Latchkey account (${to}) because Google confirmed it owns this email address. From now on it can sign in without an email link.`,
        "If that was you, there's nothing to do.",
        "If it wasn't you, someone controls a Google account that has verified this email address. Secure your email account first, then sign in with an email link and unlink Google (and sign out everywhere else) on your account page.",
      ],
      details: [
        ["Google account", `${account}${link.name ? ` (${link.name})` : ""}`],
        ...(link.hostedDomain ? [["Google Workspace", link.hostedDomain] as [string, string]] : []),
      ] as [string, string][],
      action: { label: "Review your Google account", url: "https://myaccount.google.com/" },
    };
  }
  const login = link.login ?? link.providerUserId;
  return {
    subject: `GitHub account @${login} was linked to your Latchkey account`,
    heading: "A GitHub account was linked to your account",
    paragraphs: [
      `The GitHub account @${login} signed in to your Latchkey account (${to}) because GitHub confirmed it owns this email address. From now on it can sign in without an email link.`,
      "If that was you, there's nothing to do.",
      "If it wasn't you, someone controls a GitHub account that has verified this email address. Secure your email account first, then sign in with an email link and unlink GitHub (and sign out everywhere else) on your account page.",
    ],
    details: [["GitHub account", `@${login}${link.name ? ` (${link.name})` : ""}`]] as [string, string][],
    action: { label: "Review your GitHub email addresses", url: "https://github.com/settings/emails" },
  };
}
