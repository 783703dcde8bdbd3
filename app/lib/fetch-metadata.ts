/**
 * Fetch metadata (the `Sec-Fetch-*` request headers browsers add). A mail scanner that renders our confirm
 * page and submits its form makes a navigation without user activation; a person clicking the button
 * makes one with `Sec-Fetch-User: ?1` (Chromium, Firefox and Safari all send it on a real click).
 */

/**
 * False only for a form navigation that a browser says no person started: `Sec-Fetch-Mode: navigate`
 * without `Sec-Fetch-User: ?1`. Requests without fetch metadata (older browsers, JavaScript fetches from
 * our own page) pass: the header can only take away, never grant.
 */
export function isPersonStartedNavigation(request: Request): boolean {
  if (request.headers.get("Sec-Fetch-Mode") !== "navigate") return true;
  return request.headers.get("Sec-Fetch-User") === "?1";
}
