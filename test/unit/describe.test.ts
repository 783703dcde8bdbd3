import { describe, expect, it } from "vitest";
import { describeActivity, describeSignInMethod } from "~/auth/audit/activity";
import { countryName, describeBrowser, describeLocation } from "~/lib/user-agent";
import { CHROME_WINDOWS, FIREFOX_LINUX, SAFARI_IPHONE } from "../helpers/browser";

describe("describeBrowser", () => {
  it("names Firefox on Linux", () => {
    expect(describeBrowser(FIREFOX_LINUX)).toBe("Firefox on Linux");
  });

  it("names Safari on an iPhone as Safari on iOS", () => {
    expect(describeBrowser(SAFARI_IPHONE)).toBe("Safari on iOS");
  });

  it("names Chrome on Windows (not Safari, though its user agent mentions Safari)", () => {
    expect(describeBrowser(CHROME_WINDOWS)).toBe("Chrome on Windows");
  });

  it("says an unknown browser when there is no user agent", () => {
    expect(describeBrowser(null)).toBe("An unknown browser");
    expect(describeBrowser(undefined)).toBe("An unknown browser");
    expect(describeBrowser("")).toBe("An unknown browser");
  });

  it("says an unknown browser for a user agent it can't parse, and never echoes it", () => {
    for (const garbage of ["%%%", "x".repeat(300), "<script>alert(1)</script>"]) {
      const described = describeBrowser(garbage);
      expect(described).toBe("An unknown browser");
      expect(described).not.toContain(garbage);
    }
  });
});

describe("countryName and describeLocation", () => {
  it("turns ISO country codes into English names", () => {
    expect(countryName("DE")).toBe("Germany");
    expect(countryName("FR")).toBe("France");
    expect(countryName("JP")).toBe("Japan");
  });

  it("treats Cloudflare's XX (unknown), missing and malformed codes as no place", () => {
    expect(countryName("XX")).toBeNull();
    expect(countryName(null)).toBeNull();
    expect(countryName(undefined)).toBeNull();
    expect(countryName("de")).toBeNull();
    expect(countryName("DEU")).toBeNull();
  });

  it("describes a city with its country", () => {
    expect(describeLocation("DE", "Berlin")).toBe("Berlin, Germany");
    expect(describeLocation("FR", "Paris")).toBe("Paris, France");
  });

  it("falls back to the country alone, or the city alone", () => {
    expect(describeLocation("DE")).toBe("Germany");
    expect(describeLocation("DE", null)).toBe("Germany");
    expect(describeLocation("XX", "Berlin")).toBe("Berlin");
    expect(describeLocation(null, "Berlin")).toBe("Berlin");
  });

  it("returns null when nothing is known", () => {
    expect(describeLocation(null, null)).toBeNull();
    expect(describeLocation("XX")).toBeNull();
    expect(describeLocation(null, "")).toBeNull();
  });
});

describe("describeSignInMethod", () => {
  it("describes each first factor", () => {
    expect(describeSignInMethod("link")).toBe("with an email link");
    expect(describeSignInMethod("code")).toBe("with an email code");
    expect(describeSignInMethod("github")).toBe("with GitHub");
  });

  it("adds the second factor after the first", () => {
    expect(describeSignInMethod("link+totp")).toBe("with an email link and an authenticator code");
    expect(describeSignInMethod("github+recovery")).toBe("with GitHub and a recovery code");
  });

  it("says nothing for a missing method", () => {
    expect(describeSignInMethod(null)).toBe("");
    expect(describeSignInMethod(undefined)).toBe("");
  });
});

describe("describeActivity", () => {
  const firefoxInGermany = { userAgent: FIREFOX_LINUX, country: "DE" };

  it("describes a sign-in with its method, browser and country", () => {
    expect(describeActivity({ type: "sign_in", detail: "code", ...firefoxInGermany })).toBe(
      "Signed in with an email code from Firefox on Linux, Germany",
    );
    expect(describeActivity({ type: "sign_in", detail: "github+recovery", userAgent: SAFARI_IPHONE, country: "FR" })).toBe(
      "Signed in with GitHub and a recovery code from Safari on iOS, France",
    );
  });

  it("describes the new-device alert with the device it was about", () => {
    const described = describeActivity({ type: "new_device", detail: "link", userAgent: SAFARI_IPHONE, country: "FR" });
    expect(described).toBe("Emailed you about a sign-in from a new device (Safari on iOS, France)");
  });

  it("describes signing out other sessions with how many", () => {
    expect(describeActivity({ type: "other_sessions_revoked", detail: "2", userAgent: CHROME_WINDOWS, country: "JP" })).toBe(
      "Signed out 2 other sessions from Chrome on Windows, Japan",
    );
  });

  it("describes turning on two-factor authentication", () => {
    expect(describeActivity({ type: "two_factor_enabled", detail: null, ...firefoxInGermany })).toBe(
      "Turned on two-factor authentication from Firefox on Linux, Germany",
    );
  });

  it("says an unknown browser and leaves the place out when neither is known", () => {
    expect(describeActivity({ type: "two_factor_enabled", detail: null, userAgent: null, country: null })).toBe(
      "Turned on two-factor authentication from an unknown browser",
    );
    expect(describeActivity({ type: "sign_in", detail: "link", userAgent: null, country: "XX" })).toBe(
      "Signed in with an email link from an unknown browser",
    );
  });

  it("returns null for entry types that aren't shown to the account holder", () => {
    expect(describeActivity({ type: "rate_limited", detail: "ip-sends", ...firefoxInGermany })).toBeNull();
    expect(describeActivity({ type: "no_such_event", detail: null, ...firefoxInGermany })).toBeNull();
  });
});

describe("describePlace", () => {
  it("says a local run's requests come from this computer, not wrangler's invented city", async () => {
    const { describePlace, readClientInfo } = await import("~/lib/client-info.server");
    const local = readClientInfo(
      new Request("http://localhost:8787/", { headers: { "CF-Connecting-IP": "127.0.0.1" }, cf: { country: "US", city: "Austin" } } as RequestInit),
    );
    expect(local).toMatchObject({ country: null, city: null });
    expect(describePlace(local)).toBe("This computer (local)");
    expect(describePlace({ ip: "203.0.113.7", country: "DE", city: "Berlin" })).toBe("Berlin, Germany");
  });
});
