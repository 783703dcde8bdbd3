/**
 * Sending the browser back to an app. A plain redirect works everywhere except at the end of a chain
 * that began with one of our forms (consent, sign-in, sign-out): Chrome and Safari apply the form page's
 * CSP `form-action 'self'` to every redirect of a form submission, and would block the hop to the app.
 * Those requests get a page that moves on by itself (meta refresh, which isn't a form navigation) with a
 * link; everything else gets the redirect, as a full document load so Remix never fetches an app's URL
 * as route data.
 */
import { redirectDocument } from "@remix-run/cloudflare";

export type ToApp = { location: string; clientName: string | null };

/** A navigation inside a chain that stayed on our origin: possibly after a form post. */
function isSameOriginNavigation(request: Request): boolean {
  return request.headers.get("Sec-Fetch-Site") === "same-origin" && request.headers.get("Sec-Fetch-Mode") === "navigate";
}

/** Either throws the redirect to the app, or returns what the "Returning you to …" page needs. */
export function sendToApp(request: Request, to: ToApp): { kind: "continue"; location: string; clientName: string | null } {
  if (!isSameOriginNavigation(request)) throw redirectDocument(to.location, { status: 302, headers: { "Referrer-Policy": "no-referrer" } });
  return { kind: "continue", location: to.location, clientName: to.clientName };
}
