import { generateHOTP } from "@oslojs/otp";
import { encodeBase32UpperCaseNoPadding, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";
import { decryptTotpSecret, encryptTotpSecret, formatSecretForManualEntry, generateRecoveryCodes, generateTotpSecret, matchTotpStep, normalizeRecoveryCode, qrCodePath, RECOVERY_CODE_COUNT, timeStep, TOTP_DIGITS, totpUri } from "~/auth/two-factor/totp.server";
import { totp } from "../helpers/browser";

/** The code an authenticator app shows at `now`, from the same HOTP and step arithmetic the app uses. */
const totpCodeAt = (secret: Uint8Array, now: Date, stepOffset = 0) => generateHOTP(secret, BigInt(timeStep(now) + stepOffset), TOTP_DIGITS);

/** RFC 6238 Appendix B: the SHA-1 test key is the ASCII string "12345678901234567890". */
const RFC_SECRET = new TextEncoder().encode("12345678901234567890");
const RFC_SECRET_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/** Appendix B's SHA-1 rows (8 digits there); a 6-digit code is the last six. */
const RFC_VECTORS: [seconds: number, eightDigits: string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

const KEY = "test-totp-key-0123456789abcdef0123456789abcdef";
const OLD_KEY = "old-totp-key-fedcba9876543210fedcba9876543210";
const NEW_KEY = "new-totp-key-00112233445566778899aabbccddeeff";

describe("TOTP codes (RFC 6238)", () => {
  it("totpCodeAt reproduces the RFC 6238 Appendix B SHA-1 vectors as 6-digit codes", () => {
    for (const [seconds, eight] of RFC_VECTORS) {
      expect(totpCodeAt(RFC_SECRET, new Date(seconds * 1000)), `T=${seconds}`).toBe(eight.slice(2));
    }
  });

  it("the test helper's independent totp() agrees with the RFC vectors too", async () => {
    expect(encodeBase32UpperCaseNoPadding(RFC_SECRET)).toBe(RFC_SECRET_BASE32);
    for (const [seconds, eight] of RFC_VECTORS) {
      expect(await totp(RFC_SECRET_BASE32, seconds * 1000), `T=${seconds}`).toBe(eight.slice(2));
    }
  });

  it("uses 30-second steps: T=59 s is step 1, T=60 s is step 2", () => {
    expect(timeStep(new Date(59_000))).toBe(1);
    expect(timeStep(new Date(60_000))).toBe(2);
  });

  it("matchTotpStep accepts the current step and returns it", () => {
    expect(matchTotpStep(RFC_SECRET, "287082", new Date(59_000))).toBe(1);
  });

  it("matchTotpStep accepts a code from one step back and returns that earlier step", () => {
    // At T=75 s the current step is 2; "287082" belongs to step 1.
    expect(matchTotpStep(RFC_SECRET, "287082", new Date(75_000))).toBe(1);
    // RFC rows: T=1111111111 s is step 37037037; "081804" (T=1111111109 s) is step 37037036.
    expect(matchTotpStep(RFC_SECRET, "081804", new Date(1111111111_000))).toBe(37037036);
  });

  it("matchTotpStep accepts a code from one step ahead and returns that later step", () => {
    // At T=1111111109 s the current step is 37037036; "050471" (T=1111111111 s) belongs to the next one.
    expect(timeStep(new Date(1111111109_000))).toBe(37037036);
    expect(matchTotpStep(RFC_SECRET, "050471", new Date(1111111109_000))).toBe(37037037);
  });

  it("matchTotpStep refuses a code two steps old", () => {
    // At T=95 s the current step is 3; step 1 is two behind.
    expect(matchTotpStep(RFC_SECRET, "287082", new Date(95_000))).toBeNull();
  });

  it("matchTotpStep refuses a code two steps ahead", () => {
    const now = new Date(Date.UTC(2026, 0, 1, 12, 0, 5));
    const twoAhead = totpCodeAt(RFC_SECRET, now, 2);
    // Make sure the code isn't also valid in the window by coincidence, or the test would prove nothing.
    expect([-1, 0, 1].map((offset) => totpCodeAt(RFC_SECRET, now, offset))).not.toContain(twoAhead);
    expect(matchTotpStep(RFC_SECRET, twoAhead, now)).toBeNull();
    expect(matchTotpStep(RFC_SECRET, twoAhead, new Date(now.getTime() + 30_000))).toBe(timeStep(now) + 2);
  });

  it("matchTotpStep works with a freshly generated secret at an arbitrary fixed time", () => {
    const secret = generateTotpSecret();
    const now = new Date(Date.UTC(2026, 6, 1, 8, 30, 17));
    for (const offset of [-1, 0, 1]) {
      expect(matchTotpStep(secret, totpCodeAt(secret, now, offset), now)).toBe(timeStep(now) + offset);
    }
  });

  it("matchTotpStep refuses malformed codes before comparing anything", () => {
    const at = new Date(59_000);
    for (const code of ["", "28708", "2870822", "28708a", " 287082", "287082 ", "287 082", "287-082", "287082\n", "９４２８７０"]) {
      expect(matchTotpStep(RFC_SECRET, code, at), JSON.stringify(code)).toBeNull();
    }
  });

  it("generates 160-bit secrets that differ each time", () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a).toHaveLength(20);
    expect(encodeHexLowerCase(a)).not.toBe(encodeHexLowerCase(b));
  });
});

describe("showing the secret", () => {
  it("formatSecretForManualEntry shows base32 in groups of four", () => {
    expect(formatSecretForManualEntry(RFC_SECRET)).toBe("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
  });

  it("formatSecretForManualEntry leaves a short last group without a trailing space", () => {
    // 10 bytes = 16 base32 characters; 11 bytes = 18 characters, so the last group has two.
    const formatted = formatSecretForManualEntry(new Uint8Array(11));
    expect(formatted).toBe("AAAA AAAA AAAA AAAA AA");
  });

  it("totpUri carries the issuer, the account, the base32 secret, period=30 and digits=6", () => {
    const uri = new URL(totpUri(RFC_SECRET, { issuer: "Latchkey (latchkey.test)", account: "ada@example.com" }));
    expect(uri.protocol).toBe("otpauth:");
    expect(decodeURIComponent(uri.pathname + uri.host)).toContain("ada@example.com");
    expect(decodeURIComponent(uri.href)).toContain("Latchkey (latchkey.test):ada@example.com");
    expect(uri.searchParams.get("issuer")).toBe("Latchkey (latchkey.test)");
    expect(uri.searchParams.get("secret")).toBe(RFC_SECRET_BASE32);
    expect(uri.searchParams.get("period")).toBe("30");
    expect(uri.searchParams.get("digits")).toBe("6");
  });

  it("qrCodePath draws the URI as a square of modules with a non-empty path inside it", () => {
    const uri = totpUri(RFC_SECRET, { issuer: "Latchkey (latchkey.test)", account: "ada@example.com" });
    const { size, path } = qrCodePath(uri);
    expect(Number.isInteger(size)).toBe(true);
    // Version 1 is 21 modules, plus the 2-module border on each side; a URI this long needs more.
    expect(size).toBeGreaterThan(25);
    expect(path).toMatch(/^(M\d+ \d+h1v1h-1z)+$/);
    const coordinates = [...path.matchAll(/M(\d+) (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    for (const [x, y] of coordinates) {
      expect(x).toBeLessThan(size);
      expect(y).toBeLessThan(size);
    }
    // The border is blank, and the top-left finder pattern starts right inside it.
    expect(coordinates.some(([x, y]) => x! < 2 || y! < 2)).toBe(false);
    expect(path).toContain("M2 2h1v1h-1z");
  });
});

describe("encrypting secrets at rest", () => {
  it("decrypts what it encrypted, for the same user", async () => {
    const secret = generateTotpSecret();
    const stored = await encryptTotpSecret([KEY], "usr_ada", secret);
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(await decryptTotpSecret([KEY], "usr_ada", stored)).toEqual(secret);
  });

  it("binds the ciphertext to the user id: copied onto another account it doesn't decrypt", async () => {
    const stored = await encryptTotpSecret([KEY], "usr_ada", generateTotpSecret());
    await expect(decryptTotpSecret([KEY], "usr_mallory", stored)).rejects.toThrow(/decrypts/);
  });

  it("refuses a ciphertext that was tampered with", async () => {
    const stored = await encryptTotpSecret([KEY], "usr_ada", generateTotpSecret());
    const last = stored.at(-2) === "A" ? "B" : "A";
    const tampered = `${stored.slice(0, -2)}${last}${stored.at(-1)}`;
    expect(tampered).not.toBe(stored);
    await expect(decryptTotpSecret([KEY], "usr_ada", tampered)).rejects.toThrow();
  });

  it("refuses a value that isn't in the v1 format", async () => {
    await expect(decryptTotpSecret([KEY], "usr_ada", "GEZDGNBVGY3TQOJQ")).rejects.toThrow(/format/);
    await expect(decryptTotpSecret([KEY], "usr_ada", "v2.AAAA")).rejects.toThrow(/format/);
  });

  it("rotation: a secret encrypted under the old key decrypts with [new, old] but not with [new] alone", async () => {
    const secret = generateTotpSecret();
    const stored = await encryptTotpSecret([OLD_KEY], "usr_ada", secret);
    expect(await decryptTotpSecret([NEW_KEY, OLD_KEY], "usr_ada", stored)).toEqual(secret);
    await expect(decryptTotpSecret([NEW_KEY], "usr_ada", stored)).rejects.toThrow(/decrypts/);
  });

  it("rotation: new encryptions use the first key in the list", async () => {
    const stored = await encryptTotpSecret([NEW_KEY, OLD_KEY], "usr_ada", generateTotpSecret());
    await expect(decryptTotpSecret([OLD_KEY], "usr_ada", stored)).rejects.toThrow(/decrypts/);
    expect(await decryptTotpSecret([NEW_KEY], "usr_ada", stored)).toHaveLength(20);
  });

  it("two encryptions of one secret differ (random IV) and neither contains the secret in any common encoding", async () => {
    const secret = generateTotpSecret();
    const a = await encryptTotpSecret([KEY], "usr_ada", secret);
    const b = await encryptTotpSecret([KEY], "usr_ada", secret);
    expect(a).not.toBe(b);
    // The first 12 bytes after "v1." are the IV: those differ too.
    expect(a.slice(3, 19)).not.toBe(b.slice(3, 19));
    for (const stored of [a, b]) {
      expect(stored).not.toContain(encodeBase32UpperCaseNoPadding(secret));
      expect(stored).not.toContain(encodeBase64urlNoPadding(secret).slice(0, 20));
      expect(stored.toLowerCase()).not.toContain(encodeHexLowerCase(secret));
    }
  });
});

describe("recovery codes", () => {
  const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

  it("issues ten distinct codes shaped xxxx-xxxx-xxxx-xxxx from the documented alphabet", () => {
    const codes = generateRecoveryCodes();
    expect(RECOVERY_CODE_COUNT).toBe(10);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const group = `[${ALPHABET}]{4}`;
    const shape = new RegExp(`^${group}-${group}-${group}-${group}$`);
    for (const code of codes) expect(code).toMatch(shape);
  });

  it("leaves out characters that are easy to misread (0, o, 1, l, i)", () => {
    const letters = new Set(generateRecoveryCodes(200).join("").replaceAll("-", ""));
    for (const confusable of ["0", "o", "1", "l", "i"]) expect(letters.has(confusable)).toBe(false);
  });

  it("carries at least 64 bits by construction: 16 characters from a 31-letter alphabet", () => {
    expect(new Set(ALPHABET).size).toBe(31);
    expect(BigInt(ALPHABET.length) ** 16n >= 2n ** 64n).toBe(true);
    expect(generateRecoveryCodes(1)[0]!.replaceAll("-", "")).toHaveLength(16);
  });

  it("draws every alphabet letter over many codes (no letter is unreachable)", () => {
    const letters = new Set(generateRecoveryCodes(300).join("").replaceAll("-", ""));
    expect([...ALPHABET].filter((c) => !letters.has(c))).toEqual([]);
  });

  it("normalizeRecoveryCode accepts upper case, spaces and dashes", () => {
    expect(normalizeRecoveryCode("k7mq-2xzp-9hwd-4tnr")).toBe("k7mq2xzp9hwd4tnr");
    expect(normalizeRecoveryCode("K7MQ-2XZP-9HWD-4TNR")).toBe("k7mq2xzp9hwd4tnr");
    expect(normalizeRecoveryCode("  k7mq 2xzp 9hwd 4tnr ")).toBe("k7mq2xzp9hwd4tnr");
    expect(normalizeRecoveryCode("k7mq2xzp9hwd4tnr")).toBe("k7mq2xzp9hwd4tnr");
  });

  it("normalizeRecoveryCode rejects other lengths and other characters", () => {
    expect(normalizeRecoveryCode("")).toBeNull();
    expect(normalizeRecoveryCode("k7mq-2xzp-9hwd-4tn")).toBeNull();
    expect(normalizeRecoveryCode("k7mq-2xzp-9hwd-4tnrr")).toBeNull();
    expect(normalizeRecoveryCode("k7mq-2xzp-9hwd-4tn!")).toBeNull();
    expect(normalizeRecoveryCode("k7mq_2xzp_9hwd_4tnr")).toBeNull();
  });

  it("a generated code survives normalization and matches its upper-case form", () => {
    const [code] = generateRecoveryCodes(1);
    expect(normalizeRecoveryCode(code!)).toBe(code!.replaceAll("-", ""));
    expect(normalizeRecoveryCode(code!.toUpperCase())).toBe(normalizeRecoveryCode(code!));
  });
});
