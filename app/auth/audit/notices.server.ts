/**
 * Security notices (NIST 800-63B-4 §4.2.1.1): the account is emailed whenever its sign-in methods
 * change, a recovery code is used, a new device signs in, or it is deleted. Sent after the response
 * (the change already happened; a slow mail provider shouldn't hold the page); a failure is logged.
 */
import type { ClientInfo } from "~/lib/client-info.server";
import { describeBrowser } from "~/lib/user-agent";
import { describePlace } from "~/lib/client-info.server";
import { renderNoticeEmail, type Notice } from "~/emails/notice-email";
import type { AuthDeps } from "../deps";
import { issueNoticeLinkToken } from "../email/verification-tokens.server";

type NoticeDeps = Pick<AuthDeps, "config" | "mailer" | "now" | "waitUntil">;

/** The "this wasn't me" link stays usable for a week: alerts are often read late. */
export const NOT_ME_LINK_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * A one-time "This wasn't me" link for a notice about something that happened at `eventAt`: posting it
 * ends every session and removes second factors added since then (app/auth/account/not-me.server.ts).
 */
export async function notMeLink(deps: Pick<AuthDeps, "db" | "config" | "now">, { email, eventAt }: { email: string; eventAt: Date }): Promise<string> {
  const now = deps.now();
  const { token } = await issueNoticeLinkToken(deps.db, { email, purpose: "sign-out-everywhere", lifetimeMs: NOT_ME_LINK_LIFETIME_MS, eventAt }, now);
  const url = new URL("/auth/not-me", deps.config.appUrl);
  url.searchParams.set("token", token);
  return url.href;
}

/** When, on which device and where the change was made: the lines every notice ends with. */
export function noticeDetails(now: Date, client: ClientInfo): [string, string][] {
  const where = describePlace(client);
  return [
    ["When", `${now.toISOString().slice(0, 16).replace("T", " ")} UTC`],
    ["Device", describeBrowser(client.userAgent)],
    ["Where", where ? `${where}${client.ip ? ` (IP ${client.ip})` : ""}` : (client.ip ?? "Unknown")],
  ];
}

export function sendSecurityNotice(
  deps: NoticeDeps,
  client: ClientInfo,
  notice: Omit<Notice, "appUrl" | "theme" | "details"> & { details?: [string, string][] },
): void {
  // Notices are written in Latchkey's voice; a deployment with its own product name gets that name.
  const name = deps.config.theme.name;
  const branded = (text: string) => (name === "Latchkey" ? text : text.replaceAll("Latchkey", name));
  const send = async () => {
    const sent = await deps.mailer.send(
      renderNoticeEmail({
        ...notice,
        subject: branded(notice.subject),
        heading: branded(notice.heading),
        paragraphs: notice.paragraphs.map(branded),
        appUrl: deps.config.appUrl,
        theme: deps.config.theme,
        details: [...(notice.details ?? []), ...noticeDetails(deps.now(), client)],
      }),
    );
    if (!sent.ok) console.error(`security notice "${notice.subject}" not sent: ${sent.error}`);
  };
  deps.waitUntil(send());
}
