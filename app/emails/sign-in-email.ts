/**
 * The sign-in email (EM-2): a plain-text and an HTML part with the link, the 6-digit code (for when
 * the mail is read on another device, or a scanner got to the link first), when both stop working, and
 * what to do if it wasn't you. No tracking. Everything interpolated into HTML is escaped.
 * The code is kept out of the subject so it doesn't show on lock screens.
 */
import type { MailMessage } from "~/lib/mail/mailer.server";
import { escapeHtml } from "~/lib/html";
import type { Theme } from "~/lib/theme";
import { emailButton, emailDocument, footerLines } from "./layout";

export function renderSignInEmail({
  to,
  link,
  code,
  expiresAt,
  lifetimeMinutes,
  theme,
}: {
  to: string;
  link: string;
  code: string;
  expiresAt: Date;
  lifetimeMinutes: number;
  theme: Theme;
}): MailMessage {
  const appName = theme.name;
  const host = new URL(link).host;
  const expiry = `${expiresAt.toISOString().slice(11, 16)} UTC`;
  const subject = `Your ${appName} sign-in link`;
  const ignore = "If you didn't ask to sign in, you can ignore this email: nobody can sign in without the link or the code.";
  const text = [
    `Sign in to ${appName} (${host})`,
    "",
    "Open this link to sign in:",
    link,
    "",
    `Or enter this code on the sign-in page: ${code}`,
    "",
    `The link and the code work once and expire in ${lifetimeMinutes} minutes (at ${expiry}).`,
    "",
    `If you didn't ask to sign in to ${host}, you can ignore this email: nobody can sign in without the link or the code.`,
    ...(footerLines(theme).length ? ["", ...footerLines(theme)] : []),
  ].join("\n");
  const body = `<h1 style="font-size:20px;margin:0 0 16px">Sign in to ${escapeHtml(appName)}</h1>
      <p style="margin:0 0 24px;line-height:1.5">Click the button below to sign in to <strong>${escapeHtml(host)}</strong> as ${escapeHtml(to)}.</p>
      ${emailButton(theme, { label: "Sign in", url: link })}
      <p style="margin:0 0 8px;line-height:1.5">Or enter this code on the sign-in page:</p>
      <p style="margin:0 0 24px;font-size:32px;font-weight:700;letter-spacing:8px;font-family:ui-monospace,Menlo,Consolas,monospace">${escapeHtml(code)}</p>
      <p style="margin:0 0 16px;line-height:1.5;font-size:14px;color:#4b5563">The link and the code work once and expire in ${lifetimeMinutes} minutes (at ${expiry}). If the button doesn't work, paste this address into your browser:<br><span style="word-break:break-all">${escapeHtml(link)}</span></p>`;
  const html = emailDocument(theme, { appUrl: new URL(link).origin, body, note: ignore });
  return { to, subject, text, html };
}
