/**
 * Picks the mail adapter by EMAIL_PROVIDER. The config check (env.server.ts) has already made sure the
 * chosen provider's key or binding is there, and that the outbox is only used on this machine.
 */
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { Mailer } from "./mailer.server";
import { createResendMailer } from "./resend.server";
import { createPostmarkMailer } from "./postmark.server";
import { createCloudflareMailer, type SendEmailBinding } from "./cloudflare.server";
import { createOutboxMailer } from "./outbox.server";

export function createMailer(
  config: AppConfig,
  { db, emailBinding }: { db: Database; emailBinding: SendEmailBinding | undefined },
): Mailer {
  const from = config.emailFrom;
  switch (config.emailProvider) {
    case "resend":
      return createResendMailer({ apiKey: config.resendApiKey!, from });
    case "postmark":
      return createPostmarkMailer({ serverToken: config.postmarkServerToken!, from });
    case "cloudflare":
      return createCloudflareMailer({ binding: emailBinding!, from });
    case "outbox":
      return createOutboxMailer(db);
  }
}
