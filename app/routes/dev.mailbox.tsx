import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { Fragment } from "react";
import { isOutboxReadable, listOutboxMessages } from "~/lib/mail/outbox.server";

export const meta: MetaFunction = () => [{ title: "Dev mailbox · Latchkey" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!isOutboxReadable(request, context.config)) throw new Response("Not Found", { status: 404 });
  return { messages: await listOutboxMessages(context.db) };
}

/** Plain text with its URLs made clickable: the HTML part isn't rendered, so no mail markup runs here. */
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
              <LinkifiedText text={message.text} />
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
