/**
 * Randomness and hashing for every secret Latchkey hands out. Only crypto.getRandomValues is used as a
 * source, and only hashes of tokens are ever stored.
 */

/** A URL-safe random token carrying `bytes * 8` bits of entropy (default 256; TOK-1 needs ≥128). */
export function generateToken(bytes = 32): string {
  if (bytes < 16) throw new Error("tokens need at least 128 bits of entropy");
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A random identifier for rows (not a secret). */
export function generateId(prefix: string): string {
  return `${prefix}_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(12)))}`;
}

/** Hex SHA-256: what we store instead of a token (TOK-2). High-entropy tokens need no salt or key. */
export async function sha256Hex(value: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
}

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Tokens we issue are 43 base64url characters; anything else is rejected before touching D1. */
export function isWellFormedToken(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{22,128}$/.test(value);
}

export const CODE_DIGITS = 6;
const CODE_SPACE = 10 ** CODE_DIGITS;
// The largest multiple of 10^6 below 2^32: values at or above it are redrawn, so every code is equally
// likely (taking a plain `% 10^6` of a 32-bit value would favour the low codes).
const UNBIASED_CEILING = Math.floor(2 ** 32 / CODE_SPACE) * CODE_SPACE;

/** A uniformly random 6-digit code, leading zeros kept ("004217"). */
export function generateCode(random: () => number = randomUint32): string {
  let value = random();
  while (value >= UNBIASED_CEILING) value = random();
  return String(value % CODE_SPACE).padStart(CODE_DIGITS, "0");
}

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/**
 * HMAC-SHA-256 (hex) of `parts`, keyed with a server secret. The label separates uses of one secret
 * (codes vs. email hashes), and the parts are joined unambiguously.
 */
export async function keyedHash(secret: string, label: string, ...parts: string[]): Promise<string> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    hmacKeys.set(secret, key);
  }
  const message = new TextEncoder().encode(JSON.stringify([label, ...parts]));
  return toHex(await crypto.subtle.sign("HMAC", await key, message));
}

/** Compares two strings without leaking where they differ (the length may show; both are short). */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  if (left.byteLength !== right.byteLength) return false;
  let difference = 0;
  for (let i = 0; i < left.byteLength; i++) difference |= left[i]! ^ right[i]!;
  return difference === 0;
}
