/**
 * The local development mailbox's mail adapter: with EMAIL_PROVIDER=outbox, mail is stored in D1 instead
 * of sent, and /dev/mailbox (mailbox.ts) shows it. The config check accepts the outbox only for an
 * APP_URL that can't be a public site, the mailbox opens only when both APP_URL and the request are on
 * this machine, and only the dev entry has this adapter at all, so a deployment never keeps or
 * publishes anyone's sign-in links. Owner of the outbox_messages table (the purge job also sweeps it).
 */
import { desc } from "drizzle-orm";
import { outboxMessages } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import { isLoopbackUrl, type AppConfig } from "~/lib/env.server";
import type { Mailer } from "~/lib/mail/mailer.server";

export function createOutboxMailer(db: Database): Mailer {
  return {
    async send(message) {
      await db.insert(outboxMessages).values({ ...message, sentAt: new Date() });
      // Never log the message body: it carries the sign-in secret.
      console.log(`[outbox] mail to ${message.to}: "${message.subject}" (read it at /dev/mailbox)`);
      return { ok: true };
    },
  };
}

/** The request host alone can be spoofed or tunnelled to; APP_URL says where this Worker really serves. */
export function isOutboxReadable(request: Request, config: AppConfig): boolean {
  return config.emailProvider === "outbox" && isLoopbackUrl(config.appUrl) && isLoopbackUrl(request.url);
}

export interface OutboxMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  sentAt: string;
}

export async function listOutboxMessages(db: Database, limit = 50): Promise<OutboxMessage[]> {
  const rows = await db
    .select()
    .from(outboxMessages)
    .orderBy(desc(outboxMessages.sentAt), desc(outboxMessages.id))
    .limit(limit);
  return rows.map(({ to, subject, text, html, sentAt }) => ({ to, subject, text, html, sentAt: sentAt.toISOString() }));
}
