/** Intercepts the Worker's outbound fetch to Postmark's API (see mail-api.ts). */
import { POSTMARK_ENDPOINT } from "~/lib/mail/postmark.server";
import { interceptMailApi, type Reply } from "./mail-api";

/** Postmark's answer to an accepted message (HTTP 200, ErrorCode 0). */
export const postmarkAccepted = () =>
  Response.json({ To: "ada@example.com", SubmittedAt: "2026-12-01T12:00:00Z", MessageID: "b7bc2f4a-e38e-4336-af7d-e6c392c2f817", ErrorCode: 0, Message: "OK" });

/** Postmark's answer to a message it refuses (HTTP 422 with its own error code). */
export const postmarkRefused = (errorCode: number, message: string) => Response.json({ ErrorCode: errorCode, Message: message }, { status: 422 });

export function interceptPostmark(reply: Reply) {
  return interceptMailApi(POSTMARK_ENDPOINT, reply);
}
