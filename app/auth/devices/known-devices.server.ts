/**
 * The `known_devices` table and new-device alerts. A long-lived signed cookie names each browser; a
 * sign-in from a browser without a device cookie this account knows gets an email with a one-time "This
 * wasn't me" link. Only the cookie decides (a user agent and a country are whatever the client says).
 * The first device an account ever signs in from is recorded silently (users.first_device_at).
 */
import { eq, sql, type SQL } from "drizzle-orm";
import { knownDevices, users } from "~/db/schema";
import { runBatch } from "~/db/batch.server";
import type { AppConfig } from "~/lib/env.server";
import type { ClientInfo } from "~/lib/client-info.server";
import type { Database } from "~/lib/db.server";
import { appCookie, readCookieValue } from "~/lib/cookies.server";
import { generateToken, sha256Hex } from "~/lib/crypto.server";
import type { AuthDeps } from "../deps";
import { describeSignInMethod } from "../audit/activity";
import { recordAuthEvent } from "../audit/events.server";
import { notMeLink, sendSecurityNotice } from "../audit/notices.server";
import { findUserEmail, markFirstDevice } from "../users/users.server";

/** Browsers cap cookie lifetimes at 400 days; the device cookie asks for all of it. */
const DEVICE_COOKIE_MAX_AGE_S = 400 * 24 * 60 * 60;

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

/** True when the device with this hash is known to the account with `email` (inside another statement). */
export function isKnownDeviceOf(email: string, deviceHash: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${knownDevices} JOIN ${users} ON ${users.id} = ${knownDevices.userId}
    WHERE ${users.email} = ${email} AND ${knownDevices.deviceHash} = ${deviceHash})`;
}

/** Records a device for a user (or refreshes it). Returns `firstSeenAt`: equal to `at` for a new one. */
function upsertKnownDevice(db: Database, { userId, deviceHash, client, at }: { userId: string; deviceHash: string; client: ClientInfo; at: Date }) {
  return db
    .insert(knownDevices)
    .values({ userId, deviceHash, userAgent: client.userAgent, country: client.country, firstSeenAt: at, lastSeenAt: at })
    .onConflictDoUpdate({
      target: [knownDevices.userId, knownDevices.deviceHash],
      set: { lastSeenAt: at, userAgent: client.userAgent, country: client.country },
    })
    .returning({ firstSeenAt: knownDevices.firstSeenAt });
}

/** Every device of a user (an id or a subquery): they are all strangers again. */
export function deleteUserDevices(db: Database, userId: string | SQL) {
  return db.delete(knownDevices).where(eq(knownDevices.userId, userId));
}

/**
 * Records the device behind a completed sign-in and, if it is new for this user, emails the alert.
 * Runs after the response (waitUntil); failures are logged, never shown to the person signing in.
 */
export async function noteSignInDevice(
  deps: AuthDeps,
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
  deps: AuthDeps,
  { userId, deviceId, client, method, signedInAt }: { userId: string; deviceId: string; client: ClientInfo; method: string; signedInAt: Date },
): Promise<{ newDevice: boolean }> {
  const now = deps.now();
  const { account, device, first } = await runBatch(deps.db, {
    account: findUserEmail(deps.db, userId),
    device: upsertKnownDevice(deps.db, { userId, deviceHash: await sha256Hex(deviceId), client, at: now }),
    first: markFirstDevice(deps.db, userId, now),
  });
  const email = account[0]?.email;
  if (!email) return { newDevice: false };
  // New to this account (the device row was created just now), and not its very first device.
  const newDevice = device[0]?.firstSeenAt.getTime() === now.getTime() && first.length === 0;
  if (!newDevice) return { newDevice: false };

  recordAuthEvent(deps, { type: "new_device", detail: method, userId, client });
  sendSecurityNotice(deps, client, {
    to: email,
    subject: "New sign-in to your Latchkey account",
    heading: "A new device signed in to your account",
    paragraphs: [
      `Someone signed in to your Latchkey account (${email}) from a browser it hasn't used before. If that was you, there's nothing to do.`,
    ],
    details: [["What", `Signed in ${describeSignInMethod(method)}`]],
    action: {
      label: "This wasn't me — sign out everywhere",
      url: await notMeLink(deps, { email, eventAt: signedInAt }),
      note: "The link works once, for 7 days. It signs your account out on every device and removes any second factor added since this sign-in; then sign in again and turn on two-factor authentication from your account page.",
    },
  });
  return { newDevice: true };
}

