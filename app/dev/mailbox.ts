/**
 * The dev mailbox (EMAIL_PROVIDER=outbox, this machine only): every mail Latchkey would have sent, with
 * its HTML part rendered as a recipient would see it and its text part with the links made clickable,
 * at /dev/mailbox, and the same list as JSON at /dev/mailbox.json (the e2e suite and the bench read it).
 * Anywhere else both paths fall through to the app's 404 page.
 */
import { Hono } from "hono";
import { escapeHtml } from "~/lib/html";
import type { WorkerEnv } from "~/worker";
import { stylesheet } from "~/worker/remix-build";
import { isOutboxReadable, listOutboxMessages, type OutboxMessage } from "./outbox.server";
import { renderDevPage } from "./page";

export const MAILBOX_PATH = "/dev/mailbox";

/**
 * The mail's HTML runs in a frame with an opaque origin (sandbox without allow-same-origin) that may run
 * no script, submit no form and navigate nothing but a new tab, and its own CSP loads nothing from the
 * network: only the mail's inline styles and data: images apply, as in a careful mail client. Links
 * open in a new tab (base target), so the preview's "Sign in" button works like the text part's link.
 * The page's own CSP allows inline styles (the dev entry's inlineStylePaths), because a srcdoc frame
 * inherits its page's policy.
 */
const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

function previewDocument(html: string): string {
  return `<!doctype html><meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}"><base target="_blank">${html}`;
}

/** The whole mail document sits escaped in one attribute, so nothing in it can close the frame early. */
function htmlPart({ html, subject }: OutboxMessage): string {
  return `<iframe class="mail-preview" title="${escapeHtml(`HTML part of “${subject}”`)}" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" srcdoc="${escapeHtml(previewDocument(html))}"></iframe>`;
}

/** Plain text with its URLs made clickable. */
function linkifiedText(text: string): string {
  const parts = text.split(/(https?:\/\/\S+)/g);
  const html = parts.map((part, i) => (i % 2 === 1 ? `<a href="${escapeHtml(part)}">${escapeHtml(part)}</a>` : escapeHtml(part)));
  return `<pre>${html.join("")}</pre>`;
}

function mailItem(message: OutboxMessage): string {
  return `<li class="card">
<div class="mail-meta"><strong>${escapeHtml(message.subject)}</strong><time datetime="${escapeHtml(message.sentAt)}" class="muted small">${escapeHtml(message.sentAt.replace("T", " ").slice(0, 19))} UTC</time></div>
<p class="muted small">To: ${escapeHtml(message.to)}</p>
<h2 class="mail-part">HTML part</h2>
${htmlPart(message)}
<h2 class="mail-part">Text part</h2>
${linkifiedText(message.text)}
</li>`;
}

function mailboxPage(messages: OutboxMessage[]): string {
  const list = messages.length
    ? `<ol class="mail-list" reversed>${messages.map(mailItem).join("\n")}</ol>`
    : `<div class="card"><p>No mail yet. <a href="/login">Request a sign-in link</a> and it will show up here.</p></div>`;
  return renderDevPage({
    title: "Dev mailbox",
    brand: "Latchkey",
    brandHref: "/",
    tagline: "local development only",
    wide: true,
    stylesheet,
    body: `<h1>Dev mailbox</h1>
<p class="lead">Mail Latchkey would have sent, newest first. Only on this machine, because <code>EMAIL_PROVIDER=outbox</code>. Also as <a href="${MAILBOX_PATH}.json">JSON</a>.</p>
${list}`,
  });
}

export const mailbox = new Hono<WorkerEnv>();

mailbox.get(MAILBOX_PATH, async (c, next) => {
  if (!isOutboxReadable(c.req.raw, c.get("config"))) return next();
  return c.html(mailboxPage(await listOutboxMessages(c.get("db"))));
});

mailbox.get(`${MAILBOX_PATH}.json`, async (c, next) => {
  if (!isOutboxReadable(c.req.raw, c.get("config"))) return next();
  return c.json(await listOutboxMessages(c.get("db")));
});
