/**
 * The HTTP end of every sign-in: a session cookie and a redirect to where the person was going, or, when
 * a second factor is due, the pending sign-in's cookie and a redirect to /auth/2fa. Pages answer with a
 * 303 (signInResponse); the JSON passkey endpoint sends the same cookies with `{ redirectTo }`.
 */
import { redirect } from "@remix-run/cloudflare";
import type { ClientInfo } from "~/lib/client-info.server";
import type { AuthDeps } from "../deps";
import { generateDeviceId, noteSignInDevice, readDeviceId, serializeDeviceCookie } from "../devices/known-devices.server";
import { serializeExpiredPendingCookie, serializePendingCookie, serializeSessionCookie } from "./cookies.server";
import type { SignInOutcome } from "./start.server";

/** The cookies that complete a sign-in and where the browser goes next; records the device after the response. */
export async function signInCookies(
  request: Request,
  deps: AuthDeps,
  outcome: SignInOutcome,
  client: ClientInfo,
): Promise<{ headers: Headers; location: string }> {
  const headers = new Headers();
  if (outcome.kind === "second-factor") {
    headers.append("Set-Cookie", await serializePendingCookie(deps.config, outcome.token, outcome.expiresAt));
    return { headers, location: "/auth/2fa" };
  }
  headers.append("Set-Cookie", await serializeSessionCookie(deps.config, outcome.token, outcome.expiresAt));
  headers.append("Set-Cookie", await serializeExpiredPendingCookie(deps.config));
  // The device cookie outlives sessions, so the next sign-in from this browser is recognised.
  let deviceId = await readDeviceId(request, deps.config);
  if (!deviceId) {
    deviceId = generateDeviceId();
    headers.append("Set-Cookie", await serializeDeviceCookie(deps.config, deviceId));
  }
  const signedInAt = deps.now();
  deps.waitUntil(noteSignInDevice(deps, { userId: outcome.userId, deviceId, client, method: outcome.method, signedInAt }));
  return { headers, location: outcome.redirectTo };
}

export async function signInResponse(request: Request, deps: AuthDeps, outcome: SignInOutcome, client: ClientInfo): Promise<Response> {
  const { headers, location } = await signInCookies(request, deps, outcome, client);
  return redirect(location, { status: 303, headers });
}
