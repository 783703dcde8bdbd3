/**
 * How every provider sign-in ends (GitHub, Google), once the provider's own checks passed: find the user
 * for the verified profile (OA-3), start the session or the pending second step, and attach a provider
 * account that matched only by email in that same batch. A sign-in waiting for its second step is logged
 * when that completes, as on the email paths.
 */
import type { ClientInfo } from "~/lib/client-info.server";
import { safeRedirectPath } from "~/lib/safe-redirect";
import type { AuthDeps } from "../deps";
import { recordAuthEvent } from "../audit/events.server";
import { startSessionForUser, type SignInOutcome } from "../session/start.server";
import { reportIdentityLinked, resolveIdentityUser, type ProviderProfile } from "./identities.server";

export type ProviderSignInResult = { ok: true; outcome: SignInOutcome } | { ok: false; reason: "signup-closed" };

export async function signInWithProvider(
  deps: AuthDeps,
  profile: ProviderProfile,
  { redirectTo, client, previousSessionToken }: { redirectTo: string | null; client: ClientInfo; previousSessionToken: string | null },
): Promise<ProviderSignInResult> {
  const resolved = await resolveIdentityUser(deps, profile);
  if (!resolved.ok) return resolved;
  const outcome = await startSessionForUser(deps, {
    userId: resolved.userId,
    redirectTo: redirectTo === null ? null : safeRedirectPath(redirectTo),
    method: profile.provider,
    client,
    previousSessionToken,
    // Matched only by email: attached by the batch that completes the sign-in, never before it.
    link: resolved.how === "link" ? resolved.link : null,
  });
  if (outcome.kind === "session") {
    if (outcome.linked) reportIdentityLinked(deps, { userId: resolved.userId, email: resolved.email, link: outcome.linked, client });
    recordAuthEvent(deps, { type: "sign_in", detail: profile.provider, email: resolved.email, userId: resolved.userId, client });
  }
  return { ok: true, outcome };
}
