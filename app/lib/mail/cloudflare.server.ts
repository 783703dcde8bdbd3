/**
 * Mail through Cloudflare Email Service (EMAIL_PROVIDER=cloudflare): the Worker's `send_email` binding
 * named EMAIL, called with the structured message form. No third-party account or API key; the sending
 * domain must be onboarded to Email Sending. The binding throws an Error with a `code` such as
 * E_SENDER_NOT_VERIFIED or E_RATE_LIMIT_EXCEEDED; that becomes a failure value like any provider's.
 */
import { attemptDelivery, MAIL_TIMEOUT_MS, type Mailer } from "./mailer.server";

export const CLOUDFLARE_PROVIDER = "Cloudflare Email Service";

/** The part of the `send_email` binding this adapter uses. */
export type SendEmailBinding = Pick<SendEmail, "send">;

/**
 * "Latchkey <login@example.com>" → { name, email }; a bare address stays a string. The binding wants the
 * address on its own (it is what `allowed_sender_addresses` is compared with).
 */
export function parseMailbox(value: string): string | { name: string; email: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (!match) return value.trim();
  const [, name, email] = match;
  return name ? { name, email: email! } : email!;
}

export function createCloudflareMailer({
  binding,
  from,
  timeoutMs = MAIL_TIMEOUT_MS,
}: {
  binding: SendEmailBinding;
  from: string;
  timeoutMs?: number;
}): Mailer {
  const sender = parseMailbox(from);
  return {
    send: (message) =>
      attemptDelivery(CLOUDFLARE_PROVIDER, timeoutMs, async () => {
        try {
          await binding.send({
            from: sender,
            to: message.to,
            subject: message.subject,
            text: message.text,
            html: message.html,
          });
          return { ok: true };
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          const detail = error instanceof Error ? error.message : String(error);
          return { ok: false, error: `${CLOUDFLARE_PROVIDER} refused: ${typeof code === "string" ? `${code} ` : ""}${detail}`.slice(0, 300) };
        }
      }),
  };
}
