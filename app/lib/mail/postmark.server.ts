/**
 * Mail through Postmark's HTTP API (EMAIL_PROVIDER=postmark, secret POSTMARK_SERVER_TOKEN: the server's
 * "Server API token"). Sent on the default transactional stream, "outbound".
 */
import { attemptDelivery, MAIL_TIMEOUT_MS, type Mailer } from "./mailer.server";
import { postMessage } from "./http.server";

export const POSTMARK_ENDPOINT = "https://api.postmarkapp.com/email";

export function createPostmarkMailer({
  serverToken,
  from,
  timeoutMs = MAIL_TIMEOUT_MS,
}: {
  serverToken: string;
  from: string;
  timeoutMs?: number;
}): Mailer {
  return {
    send: (message) =>
      attemptDelivery("Postmark", timeoutMs, (signal) =>
        postMessage("Postmark", {
          url: POSTMARK_ENDPOINT,
          headers: { Accept: "application/json", "X-Postmark-Server-Token": serverToken },
          body: {
            From: from,
            To: message.to,
            Subject: message.subject,
            TextBody: message.text,
            HtmlBody: message.html,
            MessageStream: "outbound",
            // Whatever the server's defaults say: no open-tracking pixel (EM-2), and no click tracking,
            // which would route the sign-in link (and its token) through Postmark's redirect domain.
            TrackOpens: false,
            TrackLinks: "None",
          },
          signal,
        }),
      ),
  };
}
