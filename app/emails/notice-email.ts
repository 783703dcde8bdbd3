/**
 * Security notices about an account (new sign-in, GitHub linked, 2FA changed, account deleted…): a
 * heading, a few plain paragraphs, optionally one button, and a footer that says why it was sent.
 * Plain text and HTML parts carry the same words; everything interpolated into HTML is escaped.
 */
import type { MailMessage } from "~/lib/mail/mailer.server";
import { escapeHtml } from "~/lib/html";
import type { Theme } from "~/lib/theme";
import { emailButton, emailDocument, footerLines } from "./layout";

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
  theme: Theme;
}

/** "This wasn't me" and other undo links are red, whatever the accent: they stop something. */
const ALARM = { background: "#b91c1c", text: "#ffffff" };

export function renderNoticeEmail(notice: Notice): MailMessage {
  const { theme } = notice;
  const host = new URL(notice.appUrl).host;
  const footer = `You're getting this because it concerns your ${theme.name} account at ${host}. We send it whatever your settings, because it is about your account's security.`;
  const text = [
    notice.heading,
    "",
    ...notice.paragraphs.flatMap((p) => [p, ""]),
    ...(notice.details?.length ? [...notice.details.map(([k, v]) => `${k}: ${v}`), ""] : []),
    ...(notice.action ? [`${notice.action.label}:`, notice.action.url, ...(notice.action.note ? [notice.action.note] : []), ""] : []),
    footer,
    ...footerLines(theme),
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
    ? emailButton(theme, { label: notice.action.label, url: notice.action.url, colour: ALARM }) +
      (notice.action.note ? p(escapeHtml(notice.action.note), ";font-size:14px;color:#4b5563") : "")
    : "";
  const body = `<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(notice.heading)}</h1>
      ${notice.paragraphs.map((para) => p(escapeHtml(para))).join("\n      ")}
      ${details}
      ${action}`;
  return { to: notice.to, subject: notice.subject, text, html: emailDocument(theme, { appUrl: notice.appUrl, body, note: footer }) };
}
