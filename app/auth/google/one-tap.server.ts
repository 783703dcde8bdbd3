/**
 * What a page needs to offer Google One Tap to a signed-out visitor: the client id, this browser's nonce
 * (and its cookie), the script to load, and the CSP sources that script needs, added to this page's
 * response only (WEB-3). Google's documented set: the GIS script, its iframe, its XHR and its stylesheet,
 * all under https://accounts.google.com/gsi/. Browsers with tracking prevention (Safari) finish One Tap
 * in a popup that reports back to this page, which `Cross-Origin-Opener-Policy: same-origin` would cut
 * off, so these pages get `same-origin-allow-popups`. The local stand-in is served from our own origin
 * and opens no popup: locally nothing is widened.
 */
import type { OneTapSettings } from "~/components/google-one-tap";
import type { AppConfig } from "~/lib/env.server";
import type { CspAdditions, CspWidening } from "~/worker/middleware/security-headers";
import { issueOneTapNonce } from "./one-tap-nonces.server";

export const GOOGLE_ONE_TAP_CSP: CspAdditions = {
  "script-src": ["https://accounts.google.com/gsi/client"],
  "frame-src": ["https://accounts.google.com/gsi/"],
  "connect-src": ["https://accounts.google.com/gsi/"],
  "style-src": ["https://accounts.google.com/gsi/style"],
};

export async function prepareOneTap(
  { config, now, csp }: { config: AppConfig; now: () => Date; csp: CspWidening },
  { request, signedIn }: { request: Request; signedIn: boolean },
): Promise<{ oneTap: OneTapSettings | null; headers: Headers }> {
  const headers = new Headers();
  const google = config.google;
  if (!google || signedIn) return { oneTap: null, headers };
  const { nonce, setCookie } = await issueOneTapNonce(request, config, now());
  if (setCookie) headers.append("Set-Cookie", setCookie);
  if (!google.standIn) {
    csp.allow(GOOGLE_ONE_TAP_CSP);
    csp.allowPopupOpeners();
  }
  return { oneTap: { clientId: google.clientId, nonce, scriptUrl: google.oneTapScriptUrl }, headers };
}
