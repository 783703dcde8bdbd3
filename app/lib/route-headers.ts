import type { HeadersFunction } from "@remix-run/cloudflare";

/**
 * Remix renders a document with only the headers a route's `headers` export returns; without this, a
 * `Retry-After` set by an action (or a loader) would be dropped from the page's response.
 */
export const passThroughRetryAfter: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const headers = new Headers();
  const retryAfter = actionHeaders.get("Retry-After") ?? loaderHeaders.get("Retry-After");
  if (retryAfter) headers.set("Retry-After", retryAfter);
  return headers;
};
