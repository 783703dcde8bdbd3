import { describe, expect, it } from "vitest";
import { shouldOfferPasskey } from "~/auth/passkeys/offer";

const at = new Date(Date.UTC(2026, 0, 1, 12));
const minutesAgo = (m: number) => new Date(at.getTime() - m * 60_000);

describe("the passkey offer after a sign-in", () => {
  it("is made right after an email link or code sign-in, with or without the TOTP step", () => {
    for (const method of ["link", "code", "link+totp", "code+recovery"]) {
      expect(shouldOfferPasskey({ method, createdAt: minutesAgo(1) }, at)).toBe(true);
    }
  });

  it("is not made after a passkey or GitHub sign-in", () => {
    for (const method of ["passkey", "github", "github+totp", null]) {
      expect(shouldOfferPasskey({ method, createdAt: minutesAgo(1) }, at)).toBe(false);
    }
  });

  it("is made only in the ten minutes after the sign-in", () => {
    expect(shouldOfferPasskey({ method: "link", createdAt: minutesAgo(9.9) }, at)).toBe(true);
    expect(shouldOfferPasskey({ method: "link", createdAt: minutesAgo(10) }, at)).toBe(false);
  });
});
