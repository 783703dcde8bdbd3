/**
 * Encryption at rest for secrets we must be able to read back (authenticator seeds, the provider's
 * private signing keys): AES-256-GCM under a key derived with HKDF-SHA-256 from a configured secret and a
 * label per use, so one secret yields unrelated keys for unrelated data. The row's id is bound as
 * associated data, so a ciphertext copied onto another row doesn't open. Keys are a list, newest first:
 * the first seals, each is tried when opening, so the secret can be rotated by prepending a new one.
 */
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";

const VERSION = "v1";
const derived = new Map<string, Promise<CryptoKey>>();

function aesKey(material: string, label: string): Promise<CryptoKey> {
  const cacheKey = `${label}\u0000${material}`;
  let key = derived.get(cacheKey);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(material), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(label) },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    derived.set(cacheKey, key);
  }
  return key;
}

/** True for a value in the sealed format (whether or not any key opens it). */
export function isSealed(stored: string): boolean {
  return /^v1\.[A-Za-z0-9_-]+$/.test(stored);
}

/** "v1.<base64url(iv || ciphertext)>" under the first key. */
export async function seal(keys: string[], { label, boundTo }: { label: string; boundTo: string }, plain: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(boundTo) },
    await aesKey(keys[0]!, label),
    new Uint8Array(plain),
  );
  const out = new Uint8Array(iv.length + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), iv.length);
  return `${VERSION}.${encodeBase64urlNoPadding(out)}`;
}

/** The plaintext, or null when the format is unknown or no key opens it (wrong key, other row, tampering). */
export async function open(keys: string[], { label, boundTo }: { label: string; boundTo: string }, stored: string): Promise<Uint8Array | null> {
  const [version, body] = stored.split(".");
  if (version !== VERSION || !body) return null;
  const bytes = decodeBase64urlIgnorePadding(body);
  for (const material of keys) {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: new TextEncoder().encode(boundTo) },
        await aesKey(material, label),
        bytes.slice(12),
      );
      return new Uint8Array(plain);
    } catch {
      // Not this key (or tampered data): try the next one.
    }
  }
  return null;
}
