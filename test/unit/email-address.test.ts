import { describe, expect, it } from "vitest";
import { checkEmail, maskEmail } from "~/lib/email-address";

describe("checkEmail", () => {
  it("trims and lower-cases a valid address", () => {
    expect(checkEmail("  Ada.Lovelace+tag@Example.CO.uk ")).toEqual({ ok: true, email: "ada.lovelace+tag@example.co.uk" });
  });

  it.each([
    ["", /Enter your email/],
    ["ada", /like name@example\.com/],
    ["ada@localhost", /like name@example\.com/],
    ["ada@-example.com", /like name@example\.com/],
    ["ada smith@example.com", /like name@example\.com/],
    ["ada@example.com\n", /aren't allowed/],
    ["ada@exa\u2028mple.com", /aren't allowed/],
    [`${"a".repeat(65)}@example.com`, /like name@example\.com/],
    [`a@${"b".repeat(250)}.com`, /too long/],
  ])("refuses %j", (input, message) => {
    const result = checkEmail(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it("refuses non-strings", () => {
    expect(checkEmail(null).ok).toBe(false);
    expect(checkEmail({}).ok).toBe(false);
  });
});

describe("maskEmail", () => {
  it("keeps the first character and the domain", () => {
    expect(maskEmail("ada@example.com")).toBe("a…@example.com");
  });
});
