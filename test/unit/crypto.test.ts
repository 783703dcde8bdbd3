import { describe, expect, it } from "vitest";
import { generateCode, generateToken, isWellFormedToken, keyedHash, sha256Hex } from "~/lib/crypto.server";

function decodedLength(token: string): number {
  return atob(token.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (token.length % 4)) % 4)).length;
}

describe("generateToken", () => {
  it("carries at least 128 bits: 32 random bytes, base64url without padding", () => {
    const token = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodedLength(token)).toBe(32);
  });

  it("never repeats across 1,000 tokens", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken()));
    expect(tokens.size).toBe(1000);
  });

  it("refuses to make a token under 128 bits", () => {
    expect(() => generateToken(15)).toThrow(/128 bits/);
  });
});

describe("sha256Hex", () => {
  it("matches the standard test vector", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("isWellFormedToken", () => {
  it("accepts what generateToken makes and rejects junk", () => {
    expect(isWellFormedToken(generateToken())).toBe(true);
    for (const junk of ["", "short", "has spaces in it and is long enough", "<script>alert(1)</script>xxxxxxx", null, 42]) {
      expect(isWellFormedToken(junk)).toBe(false);
    }
  });
});

describe("generateCode", () => {
  it("always gives 6 digits, keeping leading zeros", () => {
    expect(generateCode(() => 42)).toBe("000042");
    expect(generateCode(() => 999_999)).toBe("999999");
    for (let i = 0; i < 2000; i++) expect(generateCode()).toMatch(/^\d{6}$/);
  });

  it("redraws values that would bias the result instead of folding them with %", () => {
    const ceiling = Math.floor(2 ** 32 / 1_000_000) * 1_000_000;
    const draws = [ceiling, 2 ** 32 - 1, 7];
    expect(generateCode(() => draws.shift()!)).toBe("000007");
    expect(draws).toHaveLength(0);
  });

  it("spreads codes evenly: every leading digit about a tenth of the time", () => {
    const counts = new Array(10).fill(0);
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[Number(generateCode()[0])]++;
    // ±20% of the expected 2,000 per digit: failing this by chance is vanishingly unlikely.
    for (const c of counts) expect(Math.abs(c - n / 10)).toBeLessThan(n / 50);
  });
});

describe("keyedHash", () => {
  it("binds the code to its email, purpose and secret", async () => {
    const base = await keyedHash("secret-a", "verification-code", "sign-in", "ada@example.com", "123456");
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(await keyedHash("secret-a", "verification-code", "sign-in", "ada@example.com", "123456")).toBe(base);
    expect(await keyedHash("secret-a", "verification-code", "sign-in", "bob@example.com", "123456")).not.toBe(base);
    expect(await keyedHash("secret-a", "verification-code", "other", "ada@example.com", "123456")).not.toBe(base);
    expect(await keyedHash("secret-b", "verification-code", "sign-in", "ada@example.com", "123456")).not.toBe(base);
    // Parts are joined unambiguously: moving a character across a boundary changes the hash.
    expect(await keyedHash("secret-a", "verification-code", "sign-in", "ada@example.com1", "23456")).not.toBe(base);
  });
});
