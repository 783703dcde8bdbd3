/**
 * Security notices (NIST 800-63B-4 §4.2.1.1): the account is emailed whenever its sign-in methods
 * change, a recovery code is used, a new device signs in, or it is deleted. Sent after the response
 * (the change already happened; a slow mail provider shouldn't hold the page); a failure is logged.
 */
import type { AppConfig } from "~/lib/env.server";
import type { Mailer } from "~/lib/mail/mailer.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { describeBrowser, describeLocation } from "~/lib/user-agent";
import { renderNoticeEmail, type Notice } from "~/emails/notice-email";

export interface NoticeDeps {
  config: AppConfig;
  mailer: Mailer;
  now: () => Date;
  waitUntil: (promise: Promise<unknown>) => void;
}

/** When, on which device and where the change was made: the lines every notice ends with. */
export function noticeDetails(now: Date, client: ClientInfo): [string, string][] {
  const where = describeLocation(client.country, client.city);
  return [
    ["When", `${now.toISOString().slice(0, 16).replace("T", " ")} UTC`],
    ["Device", describeBrowser(client.userAgent)],
    ["Where", where ? `${where}${client.ip ? ` (IP ${client.ip})` : ""}` : (client.ip ?? "Unknown")],
  ];
}

export function sendSecurityNotice(
  deps: NoticeDeps,
  client: ClientInfo,
  notice: Omit<Notice, "appUrl" | "details"> & { details?: [string, string][] },
): void {
  const send = async () => {
    const sent = await deps.mailer.send(
      renderNoticeEmail({
        ...notice,
        appUrl: deps.config.appUrl,
        details: [...(notice.details ?? []), ...noticeDetails(deps.now(), client)],
      }),
    );
    if (!sent.ok) console.error(`security notice "${notice.subject}" not sent: ${sent.error}`);
  };
  deps.waitUntil(send());
}
