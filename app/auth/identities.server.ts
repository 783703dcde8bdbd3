/**
 * Provider accounts (GitHub, Google) that sign in to a Latchkey user, whatever the provider: which user a
 * verified provider profile belongs to, and what the account is told when one gets linked. The rules are
 * the same for every provider (OA-3; decisions 004 and 009): the key is the provider's stable id, an
 * existing account is matched only through an email the provider verified, and that match is attached
 * only by the batch that completes the sign-in (start-session, two-factor), never before.
 */
import { sql } from "drizzle-orm";
import { identities, users } from "~/db/schema";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateId } from "~/lib/crypto.server";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import { recordAuthEvent, type AuthEventType } from "./events.server";
import { sendSecurityNotice } from "./notices.server";
import type { SignInDeps } from "./sign-in.server";
import type { IdentityLink } from "./start-session.server";

export type IdentityProvider = IdentityLink["provider"];

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
 * The Latchkey user for a provider profile: the one this provider account is linked to (whatever email
 * the provider shows now), else the user with the verified email (to be linked when the sign-in
 * completes), else a new user (unless sign-up is off). One D1 batch, so it is a single transaction:
 *   1. refresh the identity's profile fields if it exists → returning user;
 *   2. create the user, only if no identity exists and no user has the email;
 *   3. link the identity to the user created by 2 (a new account has no second factor to wait for);
 *   4. read the user with the email → a link candidate, written later by the completing batch.
 */
export async function resolveIdentityUser(
  { db, config, now }: { db: Database; config: AppConfig; now: () => Date },
  profile: ProviderProfile,
): Promise<ResolveResult> {
  const { provider, providerUserId, verifiedEmail: email, login, name, avatarUrl, hostedDomain } = profile;
  const at = now().getTime();
  const newUserId = generateId("usr");
  const identityExists = sql`EXISTS (SELECT 1 FROM ${identities} WHERE provider = ${provider} AND provider_user_id = ${providerUserId})`;
  const [refreshed, created, , existing] = await db.batch([
    db.all<{ user_id: string; user_email: string }>(sql`
      UPDATE ${identities} SET login = ${login}, name = ${name}, avatar_url = ${avatarUrl}, email = ${email},
        hosted_domain = ${hostedDomain}, updated_at = ${at}
      WHERE provider = ${provider} AND provider_user_id = ${providerUserId}
      RETURNING user_id, (SELECT email FROM ${users} WHERE ${users}.id = ${identities}.user_id) AS user_email`),
    db.all<{ id: string }>(sql`
      INSERT INTO ${users} (id, email, email_verified_at, created_at)
      SELECT ${newUserId}, ${email}, ${at}, ${at} WHERE ${config.allowSignup ? 1 : 0} AND NOT ${identityExists}
      ON CONFLICT (email) DO NOTHING
      RETURNING id`),
    db.run(sql`
      INSERT INTO ${identities} (id, user_id, provider, provider_user_id, login, name, avatar_url, email, hosted_domain, created_at, updated_at)
      SELECT ${generateId("idn")}, ${users}.id, ${provider}, ${providerUserId}, ${login}, ${name}, ${avatarUrl}, ${email}, ${hostedDomain}, ${at}, ${at}
      FROM ${users} WHERE ${users}.id = ${newUserId}
      ON CONFLICT (provider, provider_user_id) DO NOTHING`),
    db.all<{ id: string }>(sql`SELECT id FROM ${users} WHERE email = ${email} AND NOT ${identityExists}`),
  ]);
  const returning = refreshed[0];
  if (returning) return { ok: true, userId: returning.user_id, email: returning.user_email, how: "returning" };
  if (created.length > 0) return { ok: true, userId: newUserId, email, how: "created" };
  const user = existing[0];
  if (user) {
    const link: IdentityLink = { id: generateId("idn"), provider, providerUserId, login, name, avatarUrl, email, hostedDomain };
    return { ok: true, userId: user.id, email, how: "link", link };
  }
  // Nothing matched. The batch is one transaction, so a parallel sign-in for this provider account
  // either committed first (statement 1 would have matched) or will find ours: this is sign-up being off.
  return { ok: false, reason: "signup-closed" };
}

const LINKED_EVENTS: Record<IdentityProvider, AuthEventType> = { github: "github_linked", google: "google_linked" };

/** The log entry and the notice (EM-5) for a provider account that was just attached to a user. */
export function reportIdentityLinked(
  deps: SignInDeps,
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
