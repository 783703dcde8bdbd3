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
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
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
