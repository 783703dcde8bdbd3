/**
 * An authenticator app for tests (integration and e2e): RFC 6238 TOTP with HMAC-SHA-1, 30 s steps and
 * 6 digits, written independently of the app's library so a misuse of that library would show. Only
 * WebCrypto, so it runs in workerd and in Node alike.
 */

/** RFC 6238 TOTP (HMAC-SHA-1, 30 s, 6 digits), written independently of the app's library. */
export async function totp(base32Secret: string, at: number = Date.now(), stepOffset = 0): Promise<string> {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const clean = base32Secret.replace(/[\s=]/g, "").toUpperCase();
  let bits = "";
  for (const char of clean) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const key = new Uint8Array(Math.floor(bits.length / 8)).map((_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2));
  const counter = Math.floor(at / 1000 / 30) + stepOffset;
  const message = new DataView(new ArrayBuffer(8));
  message.setUint32(0, Math.floor(counter / 2 ** 32));
  message.setUint32(4, counter >>> 0);
  const hmacKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, message.buffer));
  const offset = mac[mac.length - 1]! & 0x0f;
  const value = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(value % 1_000_000).padStart(6, "0");
}

/**
 * Waits until at least `margin` ms remain in the current 30-second step, so a code computed for
 * "one step back" is still one step back when the Worker checks it.
 */
export async function awayFromStepBoundary(margin = 3000): Promise<void> {
  const intoStep = Date.now() % 30_000;
  if (30_000 - intoStep < margin) await new Promise((resolve) => setTimeout(resolve, 30_000 - intoStep + 50));
}

export const currentStep = (at = Date.now()) => Math.floor(at / 1000 / 30);

/** Waits until the authenticator shows a code newer than the one for `step` (a used step can't be reused). */
export async function waitForStepAfter(step: number): Promise<void> {
  const wait = (step + 1) * 30_000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 50));
}
