/**
 * The frame every email shares: the deployment's name (and logo), its accent colour on the one button, and
 * a footer with the support address and legal links when they are configured (the theme). No tracking
 * pixels, no remote fonts; the logo is the only image, and only when the team set one.
 */
import type { Theme } from "~/lib/theme";
import { escapeHtml } from "~/lib/html";

/** An absolute logo URL (a path in public/ is served from APP_URL), or null. */
function logoSrc(theme: Theme, appUrl: string): string | null {
  if (!theme.logoUrl) return null;
  return new URL(theme.logoUrl, appUrl).href;
}

/** The footer's extra lines as plain text: where to ask, and the legal links. */
export function footerLines(theme: Theme): string[] {
  return [
    ...(theme.supportEmail ? [`Questions? Write to ${theme.supportEmail}.`] : []),
    ...(theme.termsUrl ? [`Terms: ${theme.termsUrl}`] : []),
    ...(theme.privacyUrl ? [`Privacy: ${theme.privacyUrl}`] : []),
  ];
}

/** A button in the theme's accent (or `colour`, e.g. red for "this wasn't me"). */
export function emailButton(theme: Theme, { label, url, colour }: { label: string; url: string; colour?: { background: string; text: string } }): string {
  const background = colour?.background ?? theme.accent;
  const text = colour?.text ?? theme.onAccent;
  return `<p style="margin:0 0 24px"><a href="${escapeHtml(url)}" style="display:inline-block;background:${background};color:${text};text-decoration:none;padding:12px 20px;border-radius:8px;font-weight:600">${escapeHtml(label)}</a></p>`;
}

/** The whole HTML document around `body` (already escaped HTML), with the footer `note`. */
export function emailDocument(theme: Theme, { appUrl, body, note }: { appUrl: string; body: string; note: string }): string {
  const logo = logoSrc(theme, appUrl);
  const header = logo
    ? `<img src="${escapeHtml(logo)}" alt="${escapeHtml(theme.name)}" height="32" style="display:block;height:32px;margin:0 0 24px">`
    : `<p style="margin:0 0 24px;font-weight:700;font-size:16px;color:${theme.accent}">${escapeHtml(theme.name)}</p>`;
  const legal = [
    theme.supportEmail ? `<a href="mailto:${escapeHtml(theme.supportEmail)}" style="color:#6b7280">${escapeHtml(theme.supportEmail)}</a>` : null,
    theme.termsUrl ? `<a href="${escapeHtml(new URL(theme.termsUrl, appUrl).href)}" style="color:#6b7280">Terms</a>` : null,
    theme.privacyUrl ? `<a href="${escapeHtml(new URL(theme.privacyUrl, appUrl).href)}" style="color:#6b7280">Privacy</a>` : null,
  ].filter(Boolean);
  const font = `${theme.font ? `${escapeHtml(theme.font)},` : ""}-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif`;
  return `<!doctype html>
<html lang="en">
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:${font};color:#111827">
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:480px;margin:0 auto;background:#ffffff;border-radius:12px;padding:32px">
    <tr><td>
      ${header}
      ${body}
      <p style="margin:0;line-height:1.5;font-size:13px;color:#6b7280">${escapeHtml(note)}</p>
      ${legal.length ? `<p style="margin:12px 0 0;font-size:13px;color:#6b7280">${legal.join(" · ")}</p>` : ""}
    </td></tr>
  </table>
</body>
</html>`;
}
