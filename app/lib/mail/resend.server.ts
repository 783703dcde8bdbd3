/** Mail through Resend's HTTP API (EMAIL_PROVIDER=resend, secret RESEND_API_KEY). */
import { attemptDelivery, MAIL_TIMEOUT_MS, type Mailer } from "./mailer.server";
import { postMessage } from "./http.server";

export const RESEND_ENDPOINT = "https://api.resend.com/emails";

export function createResendMailer({
  apiKey,
  from,
  timeoutMs = MAIL_TIMEOUT_MS,
}: {
  apiKey: string;
  from: string;
  timeoutMs?: number;
}): Mailer {
  return {
    send: (message) =>
      attemptDelivery("Resend", timeoutMs, (signal) =>
        postMessage("Resend", {
          url: RESEND_ENDPOINT,
          headers: { Authorization: `Bearer ${apiKey}` },
          body: { from, to: [message.to], subject: message.subject, text: message.text, html: message.html },
          signal,
        }),
      ),
  };
}
