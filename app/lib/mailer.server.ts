/**
 * Sending mail. One small interface with two providers chosen by EMAIL_PROVIDER: Resend's HTTP API for
 * real deployments, and a D1-backed outbox for local development (read at /dev/mailbox).
 * Sending never throws for provider trouble: callers get `{ ok: false }` and decide what the person sees.
 */
import type { AppConfig } from "./env.server";
import type { Database } from "./db.server";
import { createOutboxMailer } from "./outbox.server";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export type SendResult = { ok: true } | { ok: false; error: string };

export interface Mailer {
  send(message: MailMessage): Promise<SendResult>;
}

export const RESEND_ENDPOINT = "https://api.resend.com/emails";
export const RESEND_TIMEOUT_MS = 5000;

export function createMailer(config: AppConfig, db: Database): Mailer {
  if (config.emailProvider === "resend") {
    return createResendMailer({ apiKey: config.resendApiKey ?? "", from: config.emailFrom });
  }
  return createOutboxMailer(db);
}

export function createResendMailer({
  apiKey,
  from,
  timeoutMs = RESEND_TIMEOUT_MS,
}: {
  apiKey: string;
  from: string;
  timeoutMs?: number;
}): Mailer {
  return {
    async send(message) {
      let response: Response;
      try {
        response = await fetch(RESEND_ENDPOINT, {
          method: "POST",
          headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
          body: JSON.stringify({
            from,
            to: [message.to],
            subject: message.subject,
            text: message.text,
            html: message.html,
          }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const reason = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "network error";
        return { ok: false, error: `Resend ${reason}` };
      }
      if (!response.ok) {
        // The body may describe the failure; it never reaches the person signing in.
        const detail = (await response.text().catch(() => "")).slice(0, 300);
        return { ok: false, error: `Resend answered ${response.status}: ${detail}` };
      }
      await response.body?.cancel();
      return { ok: true };
    },
  };
}
