/**
 * Signing in and confirming it's you (step-up) with a passkey. Sign-in asks for any discoverable
 * credential (empty allowCredentials, so the browser can offer its passkeys in autofill); step-up asks
 * for one of the signed-in account's. A passkey with user verification is two factors in one and
 * phishing-resistant (WAN-3), so it starts a full session even when the account has TOTP on.
 */
import type { AuthenticationResponseJSON, AuthenticatorTransport, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import type { ClientInfo } from "~/lib/client-info.server";
import { sha256Hex } from "~/lib/crypto.server";
import { recordAuthEvent } from "~/auth/audit/events.server";
import { markSessionAuthenticated } from "~/auth/session/sessions.server";
import { type AuthDeps } from "~/auth/deps";
import { guessGate } from "../gates.server";
import { startSessionForUser, type SignInOutcome } from "~/auth/session/start.server";
import type { PasskeyProblem } from "./messages";
import { problemFor, userHandleFor } from "./registration.server";
import {
  CHALLENGE_LIFETIME_MS,
  consumeChallenge,
  findPasskeyByCredentialId,
  insertChallenge,
  listCredentialDescriptors,
  recordPasskeyUse,
} from "./statements.server";
import { checkAssertion, checkClientData, decodeBase64url, generateChallenge, relyingPartyFor } from "./verify.server";

type Refused = { ok: false; reason: PasskeyProblem; retryAfterSeconds?: number };

/** Step-up is bound to the session that asked; sign-in to nobody (the passkey says who). */
type Ceremony = { purpose: "sign-in" } | { purpose: "step-up"; userId: string; sessionId: string };

/** Options for `navigator.credentials.get`: a fresh challenge stored for five minutes (WAN-2). */
export async function beginPasskeyAuthentication(
  deps: AuthDeps,
  { ceremony, client }: { ceremony: Ceremony; client: ClientInfo },
): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | Refused> {
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const challenge = generateChallenge();
  const insert = insertChallenge(deps.db, {
    id: await sha256Hex(challenge),
    purpose: ceremony.purpose,
    userId: ceremony.purpose === "step-up" ? ceremony.userId : null,
    sessionId: ceremony.purpose === "step-up" ? ceremony.sessionId : null,
    now: deps.now(),
  });
  let allowCredentials: PublicKeyCredentialRequestOptionsJSON["allowCredentials"] = [];
  if (ceremony.purpose === "step-up") {
    const [, credentials] = await deps.db.batch([insert, listCredentialDescriptors(deps.db, ceremony.userId)]);
    allowCredentials = credentials.map((c) => ({
      type: "public-key" as const,
      id: c.credentialId,
      ...(c.transports ? { transports: JSON.parse(c.transports) as AuthenticatorTransport[] } : {}),
    }));
  } else {
    await insert;
  }
  return {
    ok: true,
    options: {
      challenge,
      rpId: relyingPartyFor(deps.config.appUrl).rpId,
      timeout: CHALLENGE_LIFETIME_MS,
      userVerification: "required",
      allowCredentials,
    },
  };
}

type Verified = { ok: true; userId: string; email: string };

/**
 * Everything both ceremonies check (WebAuthn §7.2): the client data, the challenge (consumed in the same
 * round trip that looks up the credential), the credential's owner, flags, signature and counter.
 */
async function verifyAssertion(
  deps: AuthDeps,
  { ceremony, response, client }: { ceremony: Ceremony; response: AuthenticationResponseJSON; client: ClientInfo },
): Promise<Verified | Refused> {
  const refuse = (reason: PasskeyProblem, detail?: string, who: { userId?: string; email?: string } = {}): Refused => {
    recordAuthEvent(deps, { type: "passkey_refused", detail: `${ceremony.purpose}: ${detail ?? reason}`, ...who, client });
    return { ok: false, reason };
  };
  const rp = relyingPartyFor(deps.config.appUrl);
  const clientDataJSON = decodeBase64url(response.response.clientDataJSON);
  const authenticatorData = decodeBase64url(response.response.authenticatorData);
  const signature = decodeBase64url(response.response.signature);
  if (!clientDataJSON || !authenticatorData || !signature || response.id !== response.rawId) return refuse("malformed");
  const clientData = checkClientData(clientDataJSON, { type: "get", rp });
  if (!clientData.ok) return refuse(problemFor(clientData.reason), clientData.detail ?? clientData.reason);

  const now = deps.now();
  const [consumed, found] = await deps.db.batch([
    consumeChallenge(deps.db, {
      id: await sha256Hex(clientData.challenge),
      purpose: ceremony.purpose,
      userId: ceremony.purpose === "step-up" ? ceremony.userId : null,
      sessionId: ceremony.purpose === "step-up" ? ceremony.sessionId : null,
      now,
    }),
    findPasskeyByCredentialId(deps.db, response.id),
  ]);
  if (consumed.length === 0) return refuse("expired-challenge");
  const passkey = found[0];
  // Deleted from the account, or never registered here: the browser can be told to forget it.
  if (!passkey) return refuse("unknown-credential");
  const who = { userId: passkey.userId, email: passkey.email };
  if (ceremony.purpose === "step-up" && passkey.userId !== ceremony.userId) return refuse("unknown-credential", "another account's passkey", who);
  // A discoverable credential names its user; it must be the passkey's owner (§7.2 step 6).
  const userHandle = response.response.userHandle;
  if (ceremony.purpose === "sign-in" && !userHandle) return refuse("malformed", "no user handle", who);
  if (userHandle && userHandle !== userHandleFor(passkey.userId)) return refuse("malformed", "user handle mismatch", who);

  const checked = await checkAssertion(
    { authenticatorData, clientDataJSON, signature },
    { rp, credential: { publicKey: JSON.parse(passkey.publicKey) as JsonWebKey, algorithm: passkey.algorithm } },
  );
  if (!checked.ok) return refuse(problemFor(checked.reason), checked.detail ?? checked.reason, who);

  const [used] = await recordPasskeyUse(deps.db, { id: passkey.id, signCount: checked.signCount, backedUp: checked.backedUp, now });
  if (!used) {
    // WAN-4: a counter that didn't move forward means two authenticators share this key: a clone.
    const regressed = checked.signCount <= passkey.signCount && (checked.signCount > 0 || passkey.signCount > 0);
    if (regressed) return refuse("cloned", `counter ${checked.signCount} after ${passkey.signCount} (${passkey.name})`, who);
    return refuse("unknown-credential", "deleted while signing in", who);
  }
  return { ok: true, userId: passkey.userId, email: passkey.email };
}

export type PasskeySignInResult = { ok: true; outcome: SignInOutcome & { kind: "session" } } | Refused;

export async function finishPasskeySignIn(
  deps: AuthDeps,
  input: { response: AuthenticationResponseJSON; redirectTo: unknown; client: ClientInfo; previousSessionToken: string | null },
): Promise<PasskeySignInResult> {
  const gate = await guessGate(deps, input.client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const verified = await verifyAssertion(deps, { ceremony: { purpose: "sign-in" }, response: input.response, client: input.client });
  if (!verified.ok) return verified;
  const outcome = await startSessionForUser(deps, {
    userId: verified.userId,
    redirectTo: typeof input.redirectTo === "string" ? input.redirectTo : null,
    method: "passkey",
    client: input.client,
    previousSessionToken: input.previousSessionToken,
    secondFactorSatisfied: true,
  });
  if (outcome.kind !== "session") throw new Error("a passkey sign-in asked for a second factor");
  recordAuthEvent(deps, { type: "sign_in", detail: "passkey", email: verified.email, userId: verified.userId, client: input.client });
  return { ok: true, outcome };
}

/** Step-up with a passkey: marks this session freshly authenticated (SES-5). */
export async function finishPasskeyStepUp(
  deps: AuthDeps,
  { user, sessionId, response, client }: { user: { id: string }; sessionId: string; response: AuthenticationResponseJSON; client: ClientInfo },
): Promise<{ ok: true } | Refused> {
  const gate = await guessGate(deps, client, null);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const ceremony: Ceremony = { purpose: "step-up", userId: user.id, sessionId };
  const verified = await verifyAssertion(deps, { ceremony, response, client });
  if (!verified.ok) return verified;
  const [marked] = await markSessionAuthenticated(deps.db, { id: sessionId, userId: user.id, now: deps.now() });
  if (!marked) return { ok: false, reason: "signed-out" };
  recordAuthEvent(deps, { type: "step_up", detail: "passkey", userId: user.id, client });
  return { ok: true };
}
