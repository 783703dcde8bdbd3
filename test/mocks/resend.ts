/** Intercepts the Worker's outbound fetch to Resend's API (see mail-api.ts). */
import { RESEND_ENDPOINT } from "~/lib/mail/resend.server";
import { interceptMailApi, type Reply } from "./mail-api";

export type { CapturedRequest } from "./mail-api";

export function interceptResend(reply: Reply) {
  return interceptMailApi(RESEND_ENDPOINT, reply);
}
