import { describe, expect, it } from "vitest";
import { generateToken, isWellFormedToken, sha256Hex } from "~/lib/crypto.server";

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
