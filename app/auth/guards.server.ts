/**
 * Guards that routes call by name instead of repeating the check inline, so a new account page can't
 * forget one (style note 14). A `require*` guard returns what it checked or throws the redirect that
 * puts it right; the passkey JSON routes answer in JSON instead but ask the same question
 * (`isRecentlyAuthenticated`).
 */
import { redirect } from "@remix-run/cloudflare";
import { requireSignedIn, type SignedIn } from "~/auth/session/signed-in.server";
import { isRecentlyAuthenticated, stepUpPath } from "~/auth/two-factor/step-up.server";
import type { StepUpContinuation } from "~/auth/two-factor/continuations.server";

/** What the guards read from a loader's or action's context: the database, config and clock. */
type GuardContext = Parameters<typeof requireSignedIn>[1];

/**
 * The signed-in person, if they signed in or confirmed it's them in the last ten minutes (SES-5). A
 * stale session goes to the confirm page, which sends it back to `returnTo` (a same-origin path)
 * afterwards, or on with the change itself when it is one that can continue (`then`); a signed-out
 * visitor goes to sign in first.
 */
export async function requireRecentAuthentication(
  request: Request,
  context: GuardContext,
  returnTo: string,
  then?: StepUpContinuation,
): Promise<SignedIn> {
  const signedIn = await requireSignedIn(request, context);
  if (!hasRecentAuthentication(signedIn, context)) throw redirect(stepUpPath(returnTo, then), { status: 303 });
  return signedIn;
}

/** Whether a sensitive change would go through now without asking to confirm first: for a page's hints. */
export function hasRecentAuthentication({ session }: Pick<SignedIn, "session">, context: Pick<GuardContext, "now">): boolean {
  return isRecentlyAuthenticated(session, context.now());
}
