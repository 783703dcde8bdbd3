/**
 * The dev mailbox (EMAIL_PROVIDER=outbox, this machine only): every mail Latchkey would have sent, with
 * its HTML part rendered as a recipient would see it and its text part with the links made clickable.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { Fragment } from "react";
import { isOutboxReadable, listOutboxMessages } from "~/lib/mail/outbox.server";

export const meta: MetaFunction = () => [{ title: "Dev mailbox · Latchkey" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!isOutboxReadable(request, context.config)) throw new Response("Not Found", { status: 404 });
  return { messages: await listOutboxMessages(context.db) };
}

/**
 * The mail's HTML runs in a frame with an opaque origin (sandbox without allow-same-origin) that may run
 * no script, submit no form and navigate nothing but a new tab, and its own CSP loads nothing from the
 * network: only the mail's inline styles and data: images apply, as in a careful mail client. Links
 * open in a new tab (base target), so the preview's "Sign in" button works like the text part's link.
 */
const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

function previewDocument(html: string): string {
  return `<!doctype html><meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}"><base target="_blank">${html}`;
}

function HtmlPart({ html, subject }: { html: string; subject: string }) {
  return (
    <iframe
      className="mail-preview"
      title={`HTML part of “${subject}”`}
      sandbox="allow-popups allow-popups-to-escape-sandbox"
      referrerPolicy="no-referrer"
      srcDoc={previewDocument(html)}
    />
  );
}

/** Plain text with its URLs made clickable. */
function LinkifiedText({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/\S+)/g);
  return (
    <pre>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part}>
            {part}
          </a>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </pre>
  );
}

export default function DevMailbox() {
  const { messages } = useLoaderData<typeof loader>();
  return (
    <main id="main" className="page wide">
      <h1>Dev mailbox</h1>
      <p className="lead">
        Mail Latchkey would have sent, newest first. Only on this machine, because <code>EMAIL_PROVIDER=outbox</code>.
        Also as <a href="/dev/mailbox.json">JSON</a>.
      </p>
      {messages.length === 0 ? (
        <div className="card">
          <p>
            No mail yet. <Link to="/login">Request a sign-in link</Link> and it will show up here.
          </p>
        </div>
      ) : (
        <ol className="mail-list" reversed>
          {messages.map((message, i) => (
            <li key={`${message.sentAt}-${i}`} className="card">
              <div className="mail-meta">
                <strong>{message.subject}</strong>
                <time dateTime={message.sentAt} className="muted small">
                  {message.sentAt.replace("T", " ").slice(0, 19)} UTC
                </time>
              </div>
              <p className="muted small">To: {message.to}</p>
              <h2 className="mail-part">HTML part</h2>
              <HtmlPart html={message.html} subject={message.subject} />
              <h2 className="mail-part">Text part</h2>
              <LinkifiedText text={message.text} />
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
