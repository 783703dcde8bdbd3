/**
 * TOTP (RFC 6238) primitives: secrets, the otpauth:// URI and its QR code, step-exact verification, and
 * encryption of secrets at rest. HOTP/TOTP arithmetic is @oslojs/otp; QR encoding is uqr; encryption is
 * WebCrypto AES-GCM under a key derived (HKDF-SHA-256) from TOTP_ENCRYPTION_KEY.
 */
import { createTOTPKeyURI, generateHOTP } from "@oslojs/otp";
import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { encode as encodeQr } from "uqr";
import { timingSafeEqual } from "~/lib/crypto.server";
import { isSealed, open, seal } from "~/lib/seal.server";

export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** 160 bits, RFC 4226's recommended secret length and what authenticator apps expect. */
const SECRET_BYTES = 20;

export function generateTotpSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
}

/** The secret as people type it into an authenticator app: base32 in groups of four. */
export function formatSecretForManualEntry(secret: Uint8Array): string {
  return encodeBase32UpperCaseNoPadding(secret).replace(/(.{4})(?=.)/g, "$1 ");
}

export function totpUri(secret: Uint8Array, { issuer, account }: { issuer: string; account: string }): string {
  return createTOTPKeyURI(issuer, account, secret, TOTP_PERIOD_S, TOTP_DIGITS);
}

/** The QR code for `text` as one SVG path (a square per dark module) plus its size in modules. */
export function qrCodePath(text: string): { size: number; path: string } {
  const qr = encodeQr(text, { ecc: "M", border: 2 });
  let path = "";
  qr.data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return { size: qr.size, path };
}

export function timeStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_S);
}

/**
 * The time step `code` belongs to, checking the current step and one either side (clock drift, a code
 * typed as it rolled over), or null. Callers must still refuse steps at or below the last one accepted.
 */
export function matchTotpStep(secret: Uint8Array, code: string, now: Date, window = 1): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const current = timeStep(now);
  let matched: number | null = null;
  // Every candidate is computed and compared in full, so timing doesn't tell which step matched.
  for (let offset = -window; offset <= window; offset++) {
    const step = current + offset;
    if (timingSafeEqual(generateHOTP(secret, BigInt(step), TOTP_DIGITS), code) && matched === null) matched = step;
  }
  return matched;
}


// --- encryption at rest ------------------------------------------------------------------------------

const TOTP_SEAL = "latchkey totp secret v1";

/** The secret sealed under the first key, bound to the user: a copy on another account's row doesn't open. */
export function encryptTotpSecret(keys: string[], userId: string, secret: Uint8Array): Promise<string> {
  return seal(keys, { label: TOTP_SEAL, boundTo: userId }, secret);
}

/** Tries each key in turn, so keys can be rotated (new key first, old key kept until re-encrypted). */
export async function decryptTotpSecret(keys: string[], userId: string, stored: string): Promise<Uint8Array> {
  if (!isSealed(stored)) throw new Error("unrecognised TOTP secret format");
  const secret = await open(keys, { label: TOTP_SEAL, boundTo: userId }, stored);
  if (!secret) throw new Error("no TOTP_ENCRYPTION_KEY decrypts this secret");
  return secret;
}

// --- recovery codes -----------------------------------------------------------------------------------

export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i: easy to copy by hand

/**
 * Ten codes like "k7mq-2xzp-9hwd-4tnr": 16 characters from a 31-letter alphabet, about 79 bits each
 * (the issue asks for ≥64), drawn without modulo bias.
 */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let code = "";
    while (code.length < 16) {
      const [byte] = crypto.getRandomValues(new Uint8Array(1));
      // 248 = 8 × 31: bytes at or above it would favour the first letters.
      if (byte! < 248) code += RECOVERY_ALPHABET[byte! % RECOVERY_ALPHABET.length];
    }
    return code.match(/.{4}/g)!.join("-");
  });
}

/** What is hashed: lower case, separators and spaces dropped, so "K7MQ 2XZP…" matches too. */
export function normalizeRecoveryCode(input: string): string | null {
  const normalized = input.toLowerCase().replace(/[\s-]/g, "");
  return /^[a-z0-9]{16}$/.test(normalized) ? normalized : null;
}
