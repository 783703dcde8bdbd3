/**
 * When to suggest adding a passkey: right after a sign-in by email (link or code, with or without the
 * TOTP step), once per device (the offer cookie is checked by the caller). Decided from the session row
 * the page already has, so the offer costs no extra D1 query.
 */
import type { Session } from "~/db/schema";

/** The offer shows for this long after the email sign-in (the same window that allows adding a passkey). */
export const PASSKEY_OFFER_WINDOW_MS = 10 * 60 * 1000;

export function shouldOfferPasskey(session: Pick<Session, "method" | "createdAt">, now: Date): boolean {
  const firstFactor = session.method?.split("+")[0];
  if (firstFactor !== "link" && firstFactor !== "code") return false;
  return now.getTime() - session.createdAt.getTime() < PASSKEY_OFFER_WINDOW_MS;
}
