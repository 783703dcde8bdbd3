/**
 * What a step-up carries on with once the person has confirmed it's them (issue 16): they pressed "Set
 * up" or "Turn off" once, so confirming goes straight on with it instead of back to the button. Only the
 * changes listed here can continue; anything else returns to the page it came from.
 */
import type { User } from "~/db/schema";
import type { ClientInfo } from "~/lib/client-info.server";
import type { AuthDeps } from "../deps";
import { beginTotpEnrollment, disableTwoFactor } from "./enrollment.server";

export const STEP_UP_CONTINUATIONS = ["setup-2fa", "disable-2fa"] as const;
export type StepUpContinuation = (typeof STEP_UP_CONTINUATIONS)[number];

export function parseContinuation(value: unknown): StepUpContinuation | null {
  return STEP_UP_CONTINUATIONS.find((known) => known === value) ?? null;
}

/** The outcome the account page shows after a continued change, by its `done` parameter. */
export const CONTINUATION_OUTCOMES = ["two-factor-off"] as const;
export type ContinuationOutcome = (typeof CONTINUATION_OUTCOMES)[number];

/**
 * Makes the change and says where to go next. Called only after this session proved itself in the last
 * ten minutes, by the same check the account page's own buttons go through.
 */
export async function continueAfterStepUp(
  deps: AuthDeps,
  { then, user, client }: { then: StepUpContinuation; user: Pick<User, "id" | "email">; client: ClientInfo },
): Promise<string> {
  switch (then) {
    case "setup-2fa": {
      const { ok } = await beginTotpEnrollment(deps, { userId: user.id });
      // Already on (another tab finished first): the account page shows it as on.
      return ok ? "/account/2fa" : "/account?confirmed=1#two-factor";
    }
    case "disable-2fa": {
      const { ok } = await disableTwoFactor(deps, { userId: user.id, email: user.email, client });
      return ok ? `/account?${new URLSearchParams({ done: "two-factor-off" satisfies ContinuationOutcome })}#two-factor` : "/account?confirmed=1#two-factor";
    }
  }
}
