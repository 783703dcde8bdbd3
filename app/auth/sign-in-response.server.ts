/**
 * The HTTP end of every sign-in: a session cookie and a redirect to where the person was going, or, when
 * a second factor is due, the pending sign-in's cookie and a redirect to /auth/2fa.
 */
import { redirect, type AppLoadContext } from "@remix-run/cloudflare";
import type { ClientInfo } from "~/lib/client-info.server";
import { serializeSessionCookie } from "./session.server";
import { serializePendingCookie, serializeExpiredPendingCookie } from "./pending-cookie.server";
import { noteSignInDevice, readDeviceId, serializeDeviceCookie, generateDeviceId } from "./devices.server";
import type { SignInOutcome } from "./start-session.server";

export async function signInResponse(
  request: Request,
  context: AppLoadContext,
  outcome: SignInOutcome,
  client: ClientInfo,
): Promise<Response> {
  const headers = new Headers();
  if (outcome.kind === "second-factor") {
    headers.append("Set-Cookie", await serializePendingCookie(context.config, outcome.token, outcome.expiresAt));
    return redirect("/auth/2fa", { status: 303, headers });
  }
  headers.append("Set-Cookie", await serializeSessionCookie(context.config, outcome.token, outcome.expiresAt));
  headers.append("Set-Cookie", await serializeExpiredPendingCookie(context.config));
  // The device cookie outlives sessions, so the next sign-in from this browser is recognised.
  let deviceId = await readDeviceId(request, context.config);
  if (!deviceId) {
    deviceId = generateDeviceId();
    headers.append("Set-Cookie", await serializeDeviceCookie(context.config, deviceId));
  }
  const signedInAt = context.now();
  context.waitUntil(noteSignInDevice(context, { userId: outcome.userId, deviceId, client, method: outcome.method, signedInAt }));
  return redirect(outcome.redirectTo, { status: 303, headers });
}
