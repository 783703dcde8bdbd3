import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "~/lib/safe-redirect";

const ORIGIN = "https://app.example";

/** What a browser does with `Location: <path>` on our origin: it must stay on our origin. */
function staysOnOrigin(path: string): boolean {
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return false;
  return new URL(path, ORIGIN).origin === ORIGIN;
}

describe("safeRedirectPath", () => {
  it.each(["/dashboard", "/a/b?c=d#e", "/settings?next=%2F%2Fx", "/account/2fa", "/a/./b", "/a/b/../c"])(
    "keeps a same-origin path %j (normalised)",
    (path) => {
      const parsed = new URL(path, ORIGIN);
      expect(safeRedirectPath(path, "/fallback")).toBe(parsed.pathname + parsed.search + parsed.hash);
    },
  );

  // At least 30 hostile inputs: dot segments, encoded slashes and backslashes, tabs/newlines, schemes,
  // userinfo, IDN. Each must come back as a path on this origin (most as the fallback).
  const hostile = [
    "/.//evil.example/x",
    "/%2e//evil.example/x",
    "/%2E//evil.example/x",
    "/a/..//evil.example/x",
    "/a/%2e%2e//evil.example/x",
    "/././/evil.example",
    "/..//evil.example",
    "/%2e%2e//evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5cevil.example",
    "/%5C%5Cevil.example",
    "/%2f%2fevil.example",
    "/%2F/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "https://evil.example",
    "HTTPS://evil.example",
    "hTtP://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//user:pass@evil.example",
    "/@evil.example",
    "https://app.example@evil.example",
    "//xn--80ak6aa92e.com",
    "//аpple.com",
    "/。/evil.example",
    "evil.example",
    "/auth/verify?token=x",
    "/AUTH/verify",
    "/%61uth/verify",
    "/logout",
    "/a/../logout",
    "",
    null,
    undefined,
    42,
    "/" + "a".repeat(600),
  ];

  it.each(hostile)("answers %j with a path on this origin", (value) => {
    const result = safeRedirectPath(value);
    expect(staysOnOrigin(result), `${JSON.stringify(value)} → ${result}`).toBe(true);
    expect(result.startsWith("//")).toBe(false);
  });

  it("has at least 30 hostile inputs in its table", () => {
    expect(hostile.length).toBeGreaterThanOrEqual(30);
  });

  it.each(["/.//evil.example/x", "/%2e//evil.example/x", "/a/..//evil.example/x", "//evil.example", "/\t/evil.example", "/logout", "/AUTH/verify"])(
    "falls back for %j",
    (value) => {
      expect(safeRedirectPath(value)).toBe("/dashboard");
    },
  );

  it("uses the caller's fallback", () => {
    expect(safeRedirectPath("//evil.example", "/account")).toBe("/account");
  });
});
