/**
 * A software passkey authenticator for tests, written independently of the app's WebAuthn library so a
 * misuse of that library would show: P-256 keys from WebCrypto, real authenticatorData (rpId hash,
 * flags, counter, attested credential data with a COSE key), clientDataJSON, a CBOR attestation object
 * ("none") encoded with @levischuck/tiny-cbor, and DER-encoded ES256 signatures. It answers options the
 * way a browser + platform authenticator would and returns the Level 3 toJSON() shapes. Every field
 * can be bent per call (origin, rpId, flags, counter, challenge) to build the bad cases.
 */
import { encodeCBOR, type CBORType } from "@levischuck/tiny-cbor";

export interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials?: { id: string }[];
}

export interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  /** Set UV (default true) and UP (default true). */
  userVerified?: boolean;
  userPresent?: boolean;
  /** A counter value to report instead of the authenticator's own. */
  signCount?: number;
  challenge?: string;
  type?: string;
  crossOrigin?: boolean;
}

export const AAGUID_ICLOUD = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";

const encoder = new TextEncoder();

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

/** ECDSA's fixed-width r‖s (WebCrypto) as the DER SEQUENCE { INTEGER r, INTEGER s } WebAuthn carries. */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let value = bytes.slice(start);
    if (value[0]! & 0x80) value = concat(new Uint8Array([0]), value);
    return concat(new Uint8Array([0x02, value.length]), value);
  };
  const body = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

interface Credential {
  id: Uint8Array<ArrayBuffer>;
  keys: CryptoKeyPair;
  userHandle: string;
  signCount: number;
}

export class SoftwareAuthenticator {
  readonly credentials: Credential[] = [];

  constructor(
    readonly origin: string,
    readonly options: { aaguid?: string; countsSignatures?: boolean; backupEligible?: boolean; backedUp?: boolean } = {},
  ) {}

  /** The base64url ids of the credentials this authenticator holds, oldest first. */
  get credentialIds(): string[] {
    return this.credentials.map((c) => base64url(c.id));
  }

  private flags({ userPresent = true, userVerified = true }: CeremonyOverrides, attested: boolean): number {
    let flags = 0;
    if (userPresent) flags |= 0x01;
    if (userVerified) flags |= 0x04;
    if (this.options.backupEligible ?? true) flags |= 0x08;
    if (this.options.backedUp ?? true) flags |= 0x10;
    if (attested) flags |= 0x40;
    return flags;
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): Uint8Array {
    return encoder.encode(
      JSON.stringify({
        type: overrides.type ?? type,
        challenge: overrides.challenge ?? challenge,
        origin: overrides.origin ?? this.origin,
        crossOrigin: overrides.crossOrigin ?? false,
      }),
    );
  }

  private counter(credential: Credential, overrides: CeremonyOverrides): number {
    if (overrides.signCount !== undefined) return overrides.signCount;
    if (!this.options.countsSignatures) return 0;
    credential.signCount += 1;
    return credential.signCount;
  }

  /** navigator.credentials.create(): a new discoverable credential, as RegistrationResponseJSON. */
  async create(options: CreationOptions, overrides: CeremonyOverrides = {}) {
    const rpId = overrides.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => excluded.has(base64url(c.id)))) throw new Error("InvalidStateError: credential excluded");
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", keys.publicKey)) as JsonWebKey;
    const credential: Credential = { id: crypto.getRandomValues(new Uint8Array(32)), keys, userHandle: options.user.id, signCount: 0 };
    // COSE_Key (RFC 9053): kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
    const coseKey = encodeCBOR(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, fromBase64url(jwk.x!)],
        [-3, fromBase64url(jwk.y!)],
      ]),
    );
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, this.counter(credential, overrides));
    const idLength = new Uint8Array(2);
    new DataView(idLength.buffer).setUint16(0, credential.id.length);
    const authData = concat(
      await sha256(encoder.encode(rpId)),
      new Uint8Array([this.flags(overrides, true)]),
      counter,
      uuidBytes(this.options.aaguid ?? "00000000-0000-0000-0000-000000000000"),
      idLength,
      credential.id,
      coseKey,
    );
    const attestationObject = encodeCBOR(
      new Map<string, CBORType>([
        ["fmt", "none"],
        ["attStmt", new Map<string, CBORType>()],
        ["authData", authData],
      ]),
    );
    this.credentials.push(credential);
    const id = base64url(credential.id);
    return {
      id,
      rawId: id,
      type: "public-key" as const,
      response: {
        clientDataJSON: base64url(this.clientData("webauthn.create", options.challenge, overrides)),
        attestationObject: base64url(attestationObject),
        transports: ["internal", "hybrid"],
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: { credProps: { rk: true } },
    };
  }

  /** navigator.credentials.get(): an assertion from `credential` (default: the newest), as AuthenticationResponseJSON. */
  async get(options: RequestOptions, overrides: CeremonyOverrides = {}, credential = this.credentials.at(-1)) {
    if (!credential) throw new Error("NotAllowedError: no passkey for this site on this device");
    const rpId = overrides.rpId ?? options.rpId ?? new URL(this.origin).hostname;
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, this.counter(credential, overrides));
    const authenticatorData = concat(await sha256(encoder.encode(rpId)), new Uint8Array([this.flags(overrides, false)]), counter);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, overrides);
    const signed = concat(authenticatorData, await sha256(clientDataJSON));
    const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, credential.keys.privateKey, signed));
    const id = base64url(credential.id);
    return {
      id,
      rawId: id,
      type: "public-key" as const,
      response: {
        clientDataJSON: base64url(clientDataJSON),
        authenticatorData: base64url(authenticatorData),
        signature: base64url(derSignature(raw)),
        userHandle: credential.userHandle,
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }
}
