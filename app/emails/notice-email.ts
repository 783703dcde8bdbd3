/**
 * Security notices about an account (new sign-in, GitHub linked, 2FA changed, account deleted…): a
 * heading, a few plain paragraphs, optionally one button, and a footer that says why it was sent.
 * Plain text and HTML parts carry the same words; everything interpolated into HTML is escaped.
 */
import type { MailMessage } from "~/lib/mail/mailer.server";
import { escapeHtml } from "~/lib/html";

export interface Notice {
  to: string;
  subject: string;
  heading: string;
  paragraphs: string[];
  /** Label/value lines such as "When: …", shown as a small table. */
  details?: [string, string][];
  action?: { label: string; url: string; note?: string };
  /** The origin the notice is about, shown in the footer. */
  appUrl: string;
}

export function renderNoticeEmail(notice: Notice): MailMessage {
  const host = new URL(notice.appUrl).host;
  const footer = `You're getting this because it concerns your account at ${host}. We send it whatever your settings, because it is about your account's security.`;
  const text = [
    notice.heading,
    "",
    ...notice.paragraphs.flatMap((p) => [p, ""]),
    ...(notice.details?.length ? [...notice.details.map(([k, v]) => `${k}: ${v}`), ""] : []),
    ...(notice.action ? [`${notice.action.label}:`, notice.action.url, ...(notice.action.note ? [notice.action.note] : []), ""] : []),
    footer,
  ].join("\n");
  const p = (body: string, style = "") => `<p style="margin:0 0 16px;line-height:1.5${style}">${body}</p>`;
  const details = notice.details?.length
    ? `<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 24px;font-size:14px">${notice.details
        .map(
          ([k, v]) =>
            `<tr><td style="padding:2px 16px 2px 0;color:#4b5563;vertical-align:top">${escapeHtml(k)}</td><td style="padding:2px 0">${escapeHtml(v)}</td></tr>`,
        )
        .join("")}</table>`
    : "";
  const action = notice.action
    ? `<p style="margin:0 0 16px"><a href="${escapeHtml(notice.action.url)}" style="display:inline-block;background:#b91c1c;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:8px;font-weight:600">${escapeHtml(notice.action.label)}</a></p>` +
      (notice.action.note ? p(escapeHtml(notice.action.note), ";font-size:14px;color:#4b5563") : "")
    : "";
  const html = `<!doctype html>
<html lang="en">
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827">
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:480px;margin:0 auto;background:#ffffff;border-radius:12px;padding:32px">
    <tr><td>
      <h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(notice.heading)}</h1>
      ${notice.paragraphs.map((para) => p(escapeHtml(para))).join("\n      ")}
      ${details}
      ${action}
      ${p(escapeHtml(footer), ";font-size:13px;color:#6b7280;margin:0")}
    </td></tr>
  </table>
</body>
</html>`;
  return { to: notice.to, subject: notice.subject, text, html };
}
