/**
 * The "check your email" page's state, in a short-lived signed cookie rather than the URL: which address
 * the email went to (shown masked, used by the code form and "send another"), where the person was going,
 * and when another email may be sent. Post/Redirect/Get with this cookie makes the page survive reload,
 * back and forward, and keeps the address out of URLs, logs and history.
 */
import type { AppConfig } from "~/lib/env.server";
import { appCookie, readCookieValue, serializeExpiredCookie } from "~/lib/cookies.server";
import { checkEmail } from "~/lib/email-address";
import { safeRedirectPath } from "~/lib/safe-redirect";
import { VERIFICATION_LIFETIME_MS } from "./verification-tokens.server";

export interface SentState {
  email: string;
  redirectTo: string | null;
  /** When another email to this address may be asked for (ms since the epoch). */
  nextSendAt: number;
  /** The last request was refused only because an email had just gone out. */
  justSent: boolean;
  /** That email's code can't work any more (burned, used, expired, superseded): no code box for it. */
  codeSpent: boolean;
}

const sentCookie = (config: AppConfig) => appCookie(config, "latchkey_sent", VERIFICATION_LIFETIME_MS / 1000);

export function serializeSentCookie(config: AppConfig, state: SentState): Promise<string> {
  return sentCookie(config).serialize(JSON.stringify(state));
}

export function serializeExpiredSentCookie(config: AppConfig): Promise<string> {
  return serializeExpiredCookie(sentCookie(config));
}

/** The state, or null if absent, tampered with or not what we wrote. Never throws. */
export async function readSentState(request: Request, config: AppConfig): Promise<SentState | null> {
  const raw = await readCookieValue(request, sentCookie(config));
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<SentState>;
    const checked = checkEmail(value.email);
    if (!checked.ok || typeof value.nextSendAt !== "number") return null;
    return {
      email: checked.email,
      redirectTo: typeof value.redirectTo === "string" ? safeRedirectPath(value.redirectTo) : null,
      nextSendAt: value.nextSendAt,
      justSent: value.justSent === true,
      codeSpent: value.codeSpent === true,
    };
  } catch {
    return null;
  }
}
