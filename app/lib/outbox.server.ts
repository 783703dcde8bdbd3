/**
 * The local development mailbox: with EMAIL_PROVIDER=outbox, mail is stored in D1 instead of sent, and
 * /dev/mailbox shows it. Readable only from a loopback host, so a deployment that forgot to switch
 * providers still doesn't publish anyone's sign-in links.
 */
import { desc } from "drizzle-orm";
import { outboxMessages } from "~/db/schema";
import type { Database } from "./db.server";
import { isLoopbackUrl, type AppConfig } from "./env.server";
import type { Mailer } from "./mailer.server";

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

export function isOutboxReadable(request: Request, config: AppConfig): boolean {
  return config.emailProvider === "outbox" && isLoopbackUrl(request.url);
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
