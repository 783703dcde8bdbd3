/**
 * Picks the mail adapter by EMAIL_PROVIDER. The config check (env.server.ts) has already made sure the
 * chosen provider's key or binding is there, and that the outbox is only used on this machine.
 *
 * The deployed Worker knows Resend, Postmark and Cloudflare Email Service. The outbox (mail kept in D1
 * for the dev mailbox) is not part of it: the dev entry (app/dev/worker.ts) hands it in as an extra
 * adapter, so a deployed Worker configured with it can only say that it doesn't have it.
 */
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { Mailer } from "./mailer.server";
import { createResendMailer } from "./resend.server";
import { createPostmarkMailer } from "./postmark.server";
import { createCloudflareMailer, type SendEmailBinding } from "./cloudflare.server";

export interface MailerDeps {
  db: Database;
  emailBinding: SendEmailBinding | undefined;
}

/** Adapters a Worker entry adds to the deployed ones. */
export interface ExtraMailers {
  outbox?: (deps: MailerDeps) => Mailer;
}

export type MailerChoice = { ok: true; mailer: Mailer } | { ok: false; problem: string };

/** Said on the "isn't configured" page by a Worker that has no outbox. */
export const OUTBOX_NOT_IN_THIS_BUILD =
  "EMAIL_PROVIDER is outbox, but this Worker was built without the outbox: it is part of the local development entry only (npm run dev, npm run preview), never of a deployment. Set EMAIL_PROVIDER to resend, postmark or cloudflare, or run Latchkey locally with npm run dev";

export function createMailer(config: AppConfig, deps: MailerDeps, extra: ExtraMailers = {}): MailerChoice {
  const from = config.emailFrom;
  switch (config.emailProvider) {
    case "resend":
      return { ok: true, mailer: createResendMailer({ apiKey: config.resendApiKey!, from }) };
    case "postmark":
      return { ok: true, mailer: createPostmarkMailer({ serverToken: config.postmarkServerToken!, from }) };
    case "cloudflare":
      return { ok: true, mailer: createCloudflareMailer({ binding: deps.emailBinding!, from }) };
    case "outbox":
      return extra.outbox ? { ok: true, mailer: extra.outbox(deps) } : { ok: false, problem: OUTBOX_NOT_IN_THIS_BUILD };
  }
}
