/**
 * How a deployment looks and names itself: product name, logo, accent colour, optional font, support
 * address and legal links — in every page and every email. Set by vars (BRAND_*); the defaults are
 * Latchkey's own. The accent's text colour is chosen for contrast (WCAG 1.4.3), never configured.
 */

export interface Theme {
  /** "Latchkey", or the team's product name. */
  name: string;
  /** An https URL, or a path to a file in public/ ("/logo.svg"). */
  logoUrl: string | null;
  /** The accent colour, as #rrggbb. */
  accent: string;
  /** Black or white, whichever reads better on the accent (≥ 4.5:1 where possible). */
  onAccent: string;
  /** A CSS font-family list placed before the system fonts, e.g. "Inter". */
  font: string | null;
  supportEmail: string | null;
  termsUrl: string | null;
  privacyUrl: string | null;
}

export const DEFAULT_ACCENT = "#4338ca";

export type ThemeVars = Partial<
  Record<"BRAND_NAME" | "BRAND_LOGO_URL" | "BRAND_ACCENT_COLOR" | "BRAND_FONT" | "SUPPORT_EMAIL" | "LEGAL_TERMS_URL" | "LEGAL_PRIVACY_URL", string>
>;

/** The theme from the BRAND_* vars, or the problems to show on the "not configured" page. */
export function parseTheme(vars: ThemeVars): { ok: true; theme: Theme } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const text = (value: string | undefined) => (value?.trim() ? value.trim() : null);

  const name = text(vars.BRAND_NAME) ?? "Latchkey";
  if (name.length > 60 || /[<>\u0000-\u001f]/.test(name)) problems.push("BRAND_NAME must be at most 60 characters, without < > or control characters");

  const accentInput = text(vars.BRAND_ACCENT_COLOR) ?? DEFAULT_ACCENT;
  const accent = normalizeHex(accentInput);
  if (!accent) problems.push(`BRAND_ACCENT_COLOR must be a colour like #4338ca (got "${accentInput.slice(0, 20)}")`);

  const logoUrl = text(vars.BRAND_LOGO_URL);
  if (logoUrl && !isHttpsUrl(logoUrl) && !/^\/[A-Za-z0-9._/-]+$/.test(logoUrl)) {
    problems.push("BRAND_LOGO_URL must be an https URL or a path to a file in public/, like /logo.svg");
  }

  const font = text(vars.BRAND_FONT);
  if (font && !/^[A-Za-z0-9 ,'"-]{1,100}$/.test(font)) problems.push('BRAND_FONT must be a font-family list, like "Inter" or Inter, sans-serif');

  const supportEmail = text(vars.SUPPORT_EMAIL);
  if (supportEmail && !/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(supportEmail)) problems.push("SUPPORT_EMAIL must be an email address");

  const termsUrl = text(vars.LEGAL_TERMS_URL);
  const privacyUrl = text(vars.LEGAL_PRIVACY_URL);
  for (const [key, value] of [["LEGAL_TERMS_URL", termsUrl], ["LEGAL_PRIVACY_URL", privacyUrl]] as const) {
    if (value && !isHttpsUrl(value) && !value.startsWith("/")) problems.push(`${key} must be an https URL or a path on this site`);
  }

  if (problems.length > 0 || !accent) return { ok: false, problems };
  return { ok: true, theme: { name, logoUrl, accent, onAccent: readableOn(accent), font, supportEmail, termsUrl, privacyUrl } };
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/** "#abc" or "#aabbcc" (any case) → "#aabbcc"; anything else → null. */
export function normalizeHex(value: string): string | null {
  const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!match) return null;
  const hex = match[1]!.toLowerCase();
  return `#${hex.length === 3 ? [...hex].map((c) => c + c).join("") : hex}`;
}

/** WCAG relative luminance of "#rrggbb". */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** WCAG contrast ratio between two "#rrggbb" colours. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** White or near-black text, whichever contrasts more with `background`. */
export function readableOn(background: string): string {
  return contrast(background, "#ffffff") >= contrast(background, "#111827") ? "#ffffff" : "#111827";
}

/** `color` moved toward `target` (0–1). */
function mix(color: string, target: string, amount: number): string {
  const channel = (hex: string, i: number) => parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16);
  return `#${[0, 1, 2]
    .map((i) => Math.round(channel(color, i) + (channel(target, i) - channel(color, i)) * amount).toString(16).padStart(2, "0"))
    .join("")}`;
}

/** The accent, darkened or lightened just enough to read as link text on `background` (≥ 4.5:1). */
export function linkColorOn(accent: string, background: string): string {
  const target = luminance(background) > 0.5 ? "#000000" : "#ffffff";
  for (let step = 0; step <= 20; step++) {
    const candidate = mix(accent, target, step / 20);
    if (contrast(candidate, background) >= 4.5) return candidate;
  }
  return target;
}

/**
 * The CSS custom properties app.css reads, served as /theme.css (the CSP allows no inline styles). With
 * Latchkey's own colours it only sets the font; a team's accent gets readable link and button colours for
 * both light and dark mode.
 */
export function themeStylesheet(theme: Theme): string {
  const font = `--brand-font:${theme.font ? `${theme.font}, ` : ""}system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif`;
  if (theme.accent === DEFAULT_ACCENT) return `:root{${font}}\n`;
  const colours = (background: string) =>
    `--accent:${theme.accent};--accent-hover:${theme.accent};--accent-text:${theme.onAccent};--link:${linkColorOn(theme.accent, background)}`;
  return `:root{${font};${colours("#ffffff")}}\n@media (prefers-color-scheme: dark){:root{${colours("#111827")}}}\n`;
}
