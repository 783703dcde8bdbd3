/**
 * New-device alerts. A long-lived signed cookie names each browser; a sign-in from a browser this user
 * hasn't used before (no device cookie this account knows) gets an email with a one-time "This wasn't me" link that signs out everywhere. The first device an
 * account ever signs in from is recorded silently (users.first_device_at): there is nobody else to warn.
 */
import type { AppConfig } from "~/lib/env.server";
import type { Database } from "~/lib/db.server";
import type { Mailer } from "~/lib/mail/mailer.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { appCookie, readCookieValue } from "~/lib/cookies.server";
import { generateToken, sha256Hex } from "~/lib/crypto.server";
import { recordAuthEvent } from "./events.server";
import { sendSecurityNotice } from "./notices.server";
import { issueNoticeLinkToken } from "./verification.server";
import { describeSignInMethod } from "./activity";

/** Browsers cap cookie lifetimes at 400 days; the device cookie asks for all of it. */
const DEVICE_COOKIE_MAX_AGE_S = 400 * 24 * 60 * 60;
/** The "this wasn't me" link stays usable for a week: alerts are often read late. */
export const SIGN_OUT_LINK_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

const deviceCookie = (config: AppConfig) => appCookie(config, "latchkey_device", DEVICE_COOKIE_MAX_AGE_S);

export function readDeviceId(request: Request, config: AppConfig): Promise<string | null> {
  return readCookieValue(request, deviceCookie(config));
}

export function generateDeviceId(): string {
  return generateToken(16);
}

export function serializeDeviceCookie(config: AppConfig, deviceId: string): Promise<string> {
  return deviceCookie(config).serialize(deviceId);
}

export interface DeviceDeps {
  db: Database;
  config: AppConfig;
  mailer: Mailer;
  now: () => Date;
  waitUntil: (promise: Promise<unknown>) => void;
}

/**
 * Records the device behind a completed sign-in and, if it is new for this user, emails the alert.
 * Runs after the response (waitUntil); failures are logged, never shown to the person signing in.
 */
export async function noteSignInDevice(
  deps: DeviceDeps,
  input: { userId: string; deviceId: string; client: ClientInfo; method: string; signedInAt: Date },
): Promise<{ newDevice: boolean }> {
  try {
    return await noteDevice(deps, input);
  } catch (error) {
    console.error("new-device check failed", error);
    return { newDevice: false };
  }
}

async function noteDevice(
  deps: DeviceDeps,
  { userId, deviceId, client, method, signedInAt }: { userId: string; deviceId: string; client: ClientInfo; method: string; signedInAt: Date },
): Promise<{ newDevice: boolean }> {
  const now = deps.now();
  const at = now.getTime();
  const d1 = deps.db.$client;
  const deviceHash = await sha256Hex(deviceId);
  const [seen, upsert, first] = await d1.batch([
    d1.prepare(`SELECT users.email AS email FROM users WHERE users.id = ?1`).bind(userId),
    d1
      .prepare(
        `INSERT INTO known_devices (user_id, device_hash, user_agent, country, first_seen_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen_at = ?5, user_agent = ?3, country = ?4
         RETURNING first_seen_at`,
      )
      .bind(userId, deviceHash, client.userAgent, client.country, at),
    d1.prepare(`UPDATE users SET first_device_at = ?2 WHERE id = ?1 AND first_device_at IS NULL`).bind(userId, at),
  ]);
  const row = (seen!.results as { email: string }[])[0];
  const firstSeen = (upsert!.results as { first_seen_at: number }[])[0]?.first_seen_at;
  if (!row) return { newDevice: false };
  // Only the signed device cookie decides: a user agent and a country are whatever the client says they
  // are, so an intruder could copy the owner's. The account's very first device (first.meta.changes === 1)
  // is recorded without an alert.
  const newDevice = firstSeen === at && first!.meta.changes === 0;
  if (!newDevice) return { newDevice: false };

  recordAuthEvent(deps, { type: "new_device", detail: method, userId, client });
  const link = await issueNoticeLinkToken(
    deps.db,
    { email: row.email, purpose: "sign-out-everywhere", lifetimeMs: SIGN_OUT_LINK_LIFETIME_MS, eventAt: signedInAt },
    now,
  );
  const url = new URL("/auth/not-me", deps.config.appUrl);
  url.searchParams.set("token", link.token);
  sendSecurityNotice(deps, client, {
    to: row.email,
    subject: "New sign-in to your Latchkey account",
    heading: "A new device signed in to your account",
    paragraphs: [
      `Someone signed in to your Latchkey account (${row.email}) from a browser it hasn't used before. If that was you, there's nothing to do.`,
    ],
    details: [["What", `Signed in ${describeSignInMethod(method)}`]],
    action: {
      label: "This wasn't me — sign out everywhere",
      url: url.href,
      note: "The link works once, for 7 days. It signs your account out on every device and removes any second factor added since this sign-in; then sign in again and turn on two-factor authentication from your account page.",
    },
  });
  return { newDevice: true };
}
