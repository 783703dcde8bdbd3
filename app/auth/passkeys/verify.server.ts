/**
 * The WebAuthn checks for both ceremonies (WebAuthn Level 3 §7.1 registration, §7.2 authentication),
 * as pure functions over what the browser sent and what we expect. Parsing CBOR, COSE keys, authenticator
 * data and DER signatures is @oslojs/webauthn, @oslojs/cbor and @oslojs/crypto; signatures are checked
 * with WebCrypto. No attestation statement is verified: we ask for attestation "none" and trust no
 * authenticator model, so a statement would prove nothing we use (docs/decisions/007).
 */
import { bigIntBytes } from "@oslojs/binary";
import { decodeCBORToNativeValueNoLeftoverBytes } from "@oslojs/cbor";
import { decodePKIXECDSASignature, p256 } from "@oslojs/crypto/ecdsa";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import {
  COSEKeyType,
  ClientDataType,
  coseAlgorithmEdDSA,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  coseEllipticCurveEd25519,
  coseEllipticCurveP256,
  createAssertionSignatureMessage,
  parseAuthenticatorData,
  parseClientDataJSON,
  type AuthenticatorData,
  type COSEPublicKey,
} from "@oslojs/webauthn";

/** The algorithms we offer in pubKeyCredParams, in order of preference (ES256 is what passkeys use). */
export const SUPPORTED_ALGORITHMS = [coseAlgorithmES256, coseAlgorithmEdDSA, coseAlgorithmRS256] as const;

export type CeremonyProblem =
  | "malformed"
  | "wrong-type"
  | "wrong-origin"
  | "wrong-rp"
  | "no-user-presence"
  | "no-user-verification"
  | "unsupported-algorithm"
  | "bad-signature";

type Checked<T> = ({ ok: true } & T) | { ok: false; reason: CeremonyProblem; detail?: string };

/** What a ceremony must have been made for: this site's exact origin and its rpId (WAN-1). */
export interface RelyingParty {
  rpId: string;
  origin: string;
}

export function relyingPartyFor(appUrl: string): RelyingParty {
  const url = new URL(appUrl);
  return { rpId: url.hostname, origin: url.origin };
}

export function decodeBase64url(value: unknown): Uint8Array | null {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]*={0,2}$/.test(value)) return null;
  try {
    return decodeBase64urlIgnorePadding(value);
  } catch {
    return null;
  }
}

export const encodeBase64url = encodeBase64urlNoPadding;

/** A fresh challenge: 32 random bytes (WAN-2 asks for at least 16), base64url as the browser echoes it. */
export function generateChallenge(): string {
  return encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Checks clientDataJSON (§7.1 steps 7–10, §7.2 steps 11–14): the ceremony type, our exact origin, not
 * from a cross-origin iframe. Returns the challenge it carries; the caller consumes that challenge.
 */
export function checkClientData(
  clientDataJSON: Uint8Array,
  expected: { type: "create" | "get"; rp: RelyingParty },
): Checked<{ challenge: string }> {
  let clientData;
  try {
    clientData = parseClientDataJSON(clientDataJSON);
  } catch {
    return { ok: false, reason: "malformed", detail: "clientDataJSON" };
  }
  const type = expected.type === "create" ? ClientDataType.Create : ClientDataType.Get;
  if (clientData.type !== type) return { ok: false, reason: "wrong-type" };
  // Exact string match: no subdomains, no other ports or schemes (a phishing page's origin fails here).
  if (clientData.origin !== expected.rp.origin) return { ok: false, reason: "wrong-origin", detail: clientData.origin.slice(0, 100) };
  if (clientData.crossOrigin) return { ok: false, reason: "wrong-origin", detail: "cross-origin iframe" };
  return { ok: true, challenge: encodeBase64urlNoPadding(clientData.challenge) };
}

/** The rpId hash, UP and UV flags every ceremony needs (§7.1 steps 13–15, §7.2 steps 15–17; WAN-3). */
function checkAuthenticatorData(authenticatorData: AuthenticatorData, rp: RelyingParty): Checked<object> {
  if (!authenticatorData.verifyRelyingPartyIdHash(rp.rpId)) return { ok: false, reason: "wrong-rp" };
  if (!authenticatorData.userPresent) return { ok: false, reason: "no-user-presence" };
  if (!authenticatorData.userVerified) return { ok: false, reason: "no-user-verification" };
  return { ok: true };
}

/**
 * Backup eligibility (BE, bit 3) and backup state (BS, bit 4) from the flags byte at offset 32 of the
 * authenticator data (§6.1). @oslojs/webauthn parses the other flags but not these two.
 */
function backupFlags(authenticatorData: Uint8Array): { backupEligible: boolean; backedUp: boolean } {
  const flags = authenticatorData[32] ?? 0;
  return { backupEligible: (flags & 0x08) !== 0, backedUp: (flags & 0x10) !== 0 };
}

export interface NewCredential {
  credentialId: string;
  publicKey: JsonWebKey;
  algorithm: number;
  signCount: number;
  backupEligible: boolean;
  backedUp: boolean;
  aaguid: string;
}

/**
 * Checks a registration's attestation object (§7.1 steps 11–22, attestation "none") and extracts the
 * credential. `credentialId` is the id the browser reported, which must be the one the authenticator
 * attested.
 */
export async function checkAttestation(
  attestationObject: Uint8Array,
  { rp, credentialId }: { rp: RelyingParty; credentialId: string },
): Promise<Checked<{ credential: NewCredential }>> {
  let authDataBytes: Uint8Array;
  let authenticatorData: AuthenticatorData;
  try {
    const decoded = decodeCBORToNativeValueNoLeftoverBytes(attestationObject, 4) as { authData?: unknown; fmt?: unknown };
    if (!(decoded.authData instanceof Uint8Array) || typeof decoded.fmt !== "string") throw new Error("not an attestation object");
    authDataBytes = decoded.authData;
    authenticatorData = parseAuthenticatorData(authDataBytes);
  } catch {
    return { ok: false, reason: "malformed", detail: "attestationObject" };
  }
  const flagsChecked = checkAuthenticatorData(authenticatorData, rp);
  if (!flagsChecked.ok) return flagsChecked;
  const attested = authenticatorData.credential;
  if (!attested) return { ok: false, reason: "malformed", detail: "no attested credential" };
  if (encodeBase64urlNoPadding(attested.id) !== credentialId) return { ok: false, reason: "malformed", detail: "credential id mismatch" };

  const key = publicKeyToJwk(attested.publicKey);
  if (!key) return { ok: false, reason: "unsupported-algorithm" };
  // A key WebCrypto can't import (a point off the curve, a short RSA modulus) could never verify anything.
  if (!(await importVerifyKey(key.jwk, key.algorithm))) return { ok: false, reason: "unsupported-algorithm", detail: "key not importable" };

  const { backupEligible, backedUp } = backupFlags(authDataBytes);
  if (backedUp && !backupEligible) return { ok: false, reason: "malformed", detail: "BS without BE" };
  return {
    ok: true,
    credential: {
      credentialId,
      publicKey: key.jwk,
      algorithm: key.algorithm,
      signCount: authenticatorData.signatureCounter,
      backupEligible,
      backedUp,
      aaguid: formatAaguid(attested.authenticatorAAGUID),
    },
  };
}

export interface StoredCredential {
  publicKey: JsonWebKey;
  algorithm: number;
}

/**
 * Checks an assertion (§7.2 steps 15–21 minus the counter, which the caller compares atomically in D1):
 * rpId hash, UP and UV, and the signature over authenticatorData ‖ SHA-256(clientDataJSON).
 */
export async function checkAssertion(
  input: { authenticatorData: Uint8Array; clientDataJSON: Uint8Array; signature: Uint8Array },
  { rp, credential }: { rp: RelyingParty; credential: StoredCredential },
): Promise<Checked<{ signCount: number; backedUp: boolean }>> {
  let authenticatorData: AuthenticatorData;
  try {
    authenticatorData = parseAuthenticatorData(input.authenticatorData);
  } catch {
    return { ok: false, reason: "malformed", detail: "authenticatorData" };
  }
  const flagsChecked = checkAuthenticatorData(authenticatorData, rp);
  if (!flagsChecked.ok) return flagsChecked;
  const message = createAssertionSignatureMessage(input.authenticatorData, input.clientDataJSON);
  if (!(await verifySignature(credential, message, input.signature))) return { ok: false, reason: "bad-signature" };
  return { ok: true, signCount: authenticatorData.signatureCounter, backedUp: backupFlags(input.authenticatorData).backedUp };
}

/** 16 bytes as the usual UUID text, "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4". */
function formatAaguid(bytes: Uint8Array): string {
  const hex = encodeHexLowerCase(bytes).padEnd(32, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function fixedLength(value: bigint, length: number): Uint8Array {
  const bytes = bigIntBytes(value);
  if (bytes.length > length) throw new Error("value too large");
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

/** The COSE key as a JWK for WebCrypto, for the three algorithms we offer; null for anything else. */
function publicKeyToJwk(key: COSEPublicKey): { jwk: JsonWebKey; algorithm: number } | null {
  try {
    const algorithm = key.algorithm();
    const type = key.type();
    if (algorithm === coseAlgorithmES256 && type === COSEKeyType.EC2) {
      const ec2 = key.ec2();
      if (ec2.curve !== coseEllipticCurveP256) return null;
      const x = encodeBase64urlNoPadding(fixedLength(ec2.x, 32));
      const y = encodeBase64urlNoPadding(fixedLength(ec2.y, 32));
      return { algorithm, jwk: { kty: "EC", crv: "P-256", x, y } };
    }
    if (algorithm === coseAlgorithmEdDSA && type === COSEKeyType.OKP) {
      const okp = key.okp();
      if (okp.curve !== coseEllipticCurveEd25519) return null;
      return { algorithm, jwk: { kty: "OKP", crv: "Ed25519", x: encodeBase64urlNoPadding(okp.x) } };
    }
    if (algorithm === coseAlgorithmRS256 && type === COSEKeyType.RSA) {
      const rsa = key.rsa();
      return { algorithm, jwk: { kty: "RSA", n: encodeBase64urlNoPadding(bigIntBytes(rsa.n)), e: encodeBase64urlNoPadding(bigIntBytes(rsa.e)) } };
    }
    return null;
  } catch {
    return null;
  }
}

const IMPORT_PARAMS: Record<number, EcKeyImportParams | RsaHashedImportParams | { name: string }> = {
  [coseAlgorithmES256]: { name: "ECDSA", namedCurve: "P-256" },
  [coseAlgorithmEdDSA]: { name: "Ed25519" },
  [coseAlgorithmRS256]: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
};

async function importVerifyKey(jwk: JsonWebKey, algorithm: number): Promise<CryptoKey | null> {
  const params = IMPORT_PARAMS[algorithm];
  if (!params) return null;
  try {
    return await crypto.subtle.importKey("jwk", jwk, params, false, ["verify"]);
  } catch {
    return null;
  }
}

async function verifySignature(credential: StoredCredential, messageBytes: Uint8Array, signatureBytes: Uint8Array): Promise<boolean> {
  // WebCrypto's types want ArrayBuffer-backed views; the parsers hand back plain Uint8Arrays.
  const message = new Uint8Array(messageBytes);
  const signature = new Uint8Array(signatureBytes);
  const key = await importVerifyKey(credential.publicKey, credential.algorithm);
  if (!key) return false;
  try {
    if (credential.algorithm === coseAlgorithmES256) {
      // WebAuthn signs ES256 in DER (ASN.1); WebCrypto verifies the fixed-width r‖s form.
      const raw = new Uint8Array(decodePKIXECDSASignature(signature).encodeIEEEP1363(p256));
      return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, message);
    }
    if (credential.algorithm === coseAlgorithmEdDSA) return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    return await crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, key, signature, message);
  } catch {
    // A signature that isn't even well-formed DER is simply not a valid signature.
    return false;
  }
}
