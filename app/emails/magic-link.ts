/**
 * The sign-in email (EM-2): a plain-text and an HTML part, the link, when it stops working, and what to
 * do if it wasn't you. No images, no tracking. Everything interpolated into HTML is escaped.
 */
import type { MailMessage } from "~/lib/mailer.server";

export function renderMagicLinkEmail({
  to,
  link,
  expiresAt,
  lifetimeMinutes,
  appName = "Latchkey",
}: {
  to: string;
  link: string;
  expiresAt: Date;
  lifetimeMinutes: number;
  appName?: string;
}): MailMessage {
  const host = new URL(link).host;
  const expiry = `${expiresAt.toISOString().slice(11, 16)} UTC`;
  const subject = `Your ${appName} sign-in link`;
  const text = [
    `Sign in to ${appName} (${host})`,
    "",
    "Open this link to sign in:",
    link,
    "",
    `The link works once and expires in ${lifetimeMinutes} minutes (at ${expiry}).`,
    "",
    `If you didn't ask to sign in to ${host}, you can ignore this email: nobody can sign in without the link.`,
  ].join("\n");
  const html = `<!doctype html>
<html lang="en">
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827">
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:480px;margin:0 auto;background:#ffffff;border-radius:12px;padding:32px">
    <tr><td>
      <h1 style="font-size:20px;margin:0 0 16px">Sign in to ${escapeHtml(appName)}</h1>
      <p style="margin:0 0 24px;line-height:1.5">Click the button below to sign in to <strong>${escapeHtml(host)}</strong> as ${escapeHtml(to)}.</p>
      <p style="margin:0 0 24px"><a href="${escapeHtml(link)}" style="display:inline-block;background:#4338ca;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:8px;font-weight:600">Sign in</a></p>
      <p style="margin:0 0 16px;line-height:1.5;font-size:14px;color:#4b5563">The link works once and expires in ${lifetimeMinutes} minutes (at ${expiry}). If the button doesn't work, paste this address into your browser:<br><span style="word-break:break-all">${escapeHtml(link)}</span></p>
      <p style="margin:0;line-height:1.5;font-size:14px;color:#4b5563">If you didn't ask to sign in, you can ignore this email: nobody can sign in without the link.</p>
    </td></tr>
  </table>
</body>
</html>`;
  return { to, subject, text, html };
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
