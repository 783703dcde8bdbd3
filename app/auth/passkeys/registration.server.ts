/**
 * Adding and managing passkeys on the account page: registration options and verification (discoverable
 * credential, user verification, attestation "none", rpId and origin from APP_URL), rename and delete.
 * Registration needs a recent sign-in, which the routes check (WAN-5); every new passkey is emailed about.
 */
import type { AuthenticatorTransport, PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/browser";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateId, sha256Hex } from "~/lib/crypto.server";
import { describeBrowser } from "~/lib/user-agent";
import { recordAuthEvent } from "~/auth/audit/events.server";
import { sendSecurityNotice } from "~/auth/audit/notices.server";
import { type AuthDeps } from "~/auth/deps";
import { guessGate } from "../gates.server";
import { authenticatorName } from "./authenticators";
import { PASSKEY_NAME_MAX_LENGTH, type PasskeyProblem } from "./messages";
import {
  CHALLENGE_LIFETIME_MS,
  consumeChallenge,
  deletePasskey,
  insertChallenge,
  insertPasskey,
  listCredentialDescriptors,
  renamePasskey,
} from "./statements.server";
import {
  SUPPORTED_ALGORITHMS,
  checkAttestation,
  checkClientData,
  decodeBase64url,
  encodeBase64url,
  generateChallenge,
  relyingPartyFor,
  type CeremonyProblem,
} from "./verify.server";

const TRANSPORTS = new Set(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"]);

type Refused = { ok: false; reason: PasskeyProblem; retryAfterSeconds?: number };

/** The WebAuthn user handle: our opaque user id (never the email, which may change and is personal). */
export function userHandleFor(userId: string): string {
  return encodeBase64url(new TextEncoder().encode(userId));
}

/** Where a checker's finding lands in what people are told. */
export function problemFor(reason: CeremonyProblem): PasskeyProblem {
  switch (reason) {
    case "wrong-origin":
    case "wrong-rp":
    case "wrong-type":
      return "wrong-site";
    case "no-user-presence":
    case "no-user-verification":
      return "no-user-verification";
    case "bad-signature":
    case "unsupported-algorithm":
    case "malformed":
      return reason;
  }
}

/** A name as typed: trimmed, single-spaced, no control characters, at most 64 characters; null if empty. */
export function cleanPasskeyName(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const name = value.replace(/[\u0000-\u001f\u007f]/g, " ").replace(/\s+/g, " ").trim().slice(0, PASSKEY_NAME_MAX_LENGTH).trim();
  return name.length > 0 ? name : null;
}

export async function beginPasskeyRegistration(
  deps: AuthDeps,
  { user, sessionId, client }: { user: { id: string; email: string }; sessionId: string; client: ClientInfo },
): Promise<{ ok: true; options: PublicKeyCredentialCreationOptionsJSON } | Refused> {
  const gate = await guessGate(deps, client, user.email);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const rp = relyingPartyFor(deps.config.appUrl);
  const challenge = generateChallenge();
  const [, existing] = await deps.db.batch([
    insertChallenge(deps.db, { id: await sha256Hex(challenge), purpose: "register", userId: user.id, sessionId, now: deps.now() }),
    listCredentialDescriptors(deps.db, user.id),
  ]);
  return {
    ok: true,
    options: {
      rp: { id: rp.rpId, name: deps.config.theme.name },
      user: { id: userHandleFor(user.id), name: user.email, displayName: user.email },
      challenge,
      pubKeyCredParams: SUPPORTED_ALGORITHMS.map((alg) => ({ type: "public-key" as const, alg })),
      timeout: CHALLENGE_LIFETIME_MS,
      // The same authenticator can't be added twice; the browser says so instead of making a duplicate.
      excludeCredentials: existing.map((c) => ({
        type: "public-key" as const,
        id: c.credentialId,
        ...(c.transports ? { transports: JSON.parse(c.transports) as AuthenticatorTransport[] } : {}),
      })),
      // A passkey: discoverable (so sign-in needs no email) and unlocked by biometrics or PIN.
      authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
      attestation: "none",
      extensions: { credProps: true },
    },
  };
}

export type RegistrationResult = { ok: true; passkey: { id: string; name: string } } | Refused;

export async function finishPasskeyRegistration(
  deps: AuthDeps,
  { user, response, name, client }: { user: { id: string; email: string }; response: RegistrationResponseJSON; name: unknown; client: ClientInfo },
): Promise<RegistrationResult> {
  const gate = await guessGate(deps, client, user.email);
  if (!gate.ok) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds };
  const refuse = (reason: PasskeyProblem, detail?: string): Refused => {
    recordAuthEvent(deps, { type: "passkey_refused", detail: `register: ${detail ?? reason}`, userId: user.id, client });
    return { ok: false, reason };
  };

  const rp = relyingPartyFor(deps.config.appUrl);
  const clientDataJSON = decodeBase64url(response.response.clientDataJSON);
  const attestationObject = decodeBase64url(response.response.attestationObject);
  if (!clientDataJSON || !attestationObject || response.id !== response.rawId) return refuse("malformed");
  const clientData = checkClientData(clientDataJSON, { type: "create", rp });
  if (!clientData.ok) return refuse(problemFor(clientData.reason), clientData.detail ?? clientData.reason);

  // Used up before anything else is checked: a response is good for one try, whatever happens next.
  const now = deps.now();
  const consumed = await consumeChallenge(deps.db, { id: await sha256Hex(clientData.challenge), purpose: "register", userId: user.id, now });
  if (consumed.length === 0) return refuse("expired-challenge");

  const attested = await checkAttestation(attestationObject, { rp, credentialId: response.id });
  if (!attested.ok) return refuse(problemFor(attested.reason), attested.detail ?? attested.reason);
  const { credential } = attested;

  const transports = (response.response.transports ?? []).filter((t) => TRANSPORTS.has(t)).slice(0, TRANSPORTS.size);
  const passkeyName = cleanPasskeyName(name) ?? authenticatorName(credential.aaguid) ?? describeBrowser(client.userAgent);
  const [stored] = await insertPasskey(deps.db, {
    id: generateId("pk"),
    credentialId: credential.credentialId,
    userId: user.id,
    publicKey: JSON.stringify(credential.publicKey),
    algorithm: credential.algorithm,
    signCount: credential.signCount,
    transports: transports.length > 0 ? JSON.stringify(transports) : null,
    backupEligible: credential.backupEligible,
    backedUp: credential.backedUp,
    aaguid: credential.aaguid,
    name: passkeyName,
    createdAt: now,
  });
  if (!stored) return refuse("already-registered");

  recordAuthEvent(deps, { type: "passkey_added", detail: stored.name, userId: user.id, client });
  // EM-5, WAN-5: a new way into the account; its owner hears about it whoever added it.
  sendSecurityNotice(deps, client, {
    to: user.email,
    subject: "A passkey was added to your Latchkey account",
    heading: "A new passkey can sign in to your account",
    paragraphs: [
      `A passkey named “${stored.name}” was added to your Latchkey account (${user.email}). It can now sign in without an email link.`,
      "If that was you, there's nothing to do.",
      "If it wasn't you, sign in with an email link, delete the passkey and sign out everywhere from your account page.",
    ],
    details: [["Passkey", stored.name]],
  });
  return { ok: true, passkey: stored };
}

export async function renameUserPasskey(
  deps: AuthDeps,
  { userId, id, name, client }: { userId: string; id: string; name: unknown; client: ClientInfo },
): Promise<{ ok: true; name: string } | { ok: false; reason: "empty-name" | "not-found" }> {
  const cleaned = cleanPasskeyName(name);
  if (!cleaned) return { ok: false, reason: "empty-name" };
  const [renamed] = await renamePasskey(deps.db, { userId, id, name: cleaned });
  if (!renamed) return { ok: false, reason: "not-found" };
  recordAuthEvent(deps, { type: "passkey_renamed", detail: renamed.name, userId, client });
  return { ok: true, name: renamed.name };
}

export async function deleteUserPasskey(
  deps: AuthDeps,
  { user, id, client }: { user: { id: string; email: string }; id: string; client: ClientInfo },
): Promise<{ ok: true; name: string } | { ok: false; reason: "not-found" }> {
  const [deleted] = await deletePasskey(deps.db, { userId: user.id, id });
  if (!deleted) return { ok: false, reason: "not-found" };
  recordAuthEvent(deps, { type: "passkey_removed", detail: deleted.name, userId: user.id, client });
  sendSecurityNotice(deps, client, {
    to: user.email,
    subject: "A passkey was removed from your Latchkey account",
    heading: "A passkey was removed from your account",
    paragraphs: [
      `The passkey “${deleted.name}” can no longer sign in to your Latchkey account (${user.email}). You may also want to delete it from the device or password manager that holds it.`,
      "If you didn't do this, sign in with an email link and sign out everywhere from your account page.",
    ],
  });
  return { ok: true, name: deleted.name };
}
