/**
 * CSRF defence (WEB-1): a state-changing request must come from one of our own pages.
 *
 * Browsers send Origin on POSTs, except that a page with `Referrer-Policy: no-referrer` (our confirm
 * page, whose URL holds a token) makes them send `Origin: null`. In that case, and for the few
 * browsers that send no Origin at all, Sec-Fetch-Site must say "same-origin". A request with neither
 * signal is refused: nothing legitimate posts to Latchkey without a browser.
 *
 * This is the one CSRF check. Remix has its own Origin-vs-Host comparison, which would answer
 * `Origin: null` and any stray X-Forwarded-Host with a 500, so requests that pass here are handed on
 * without those two headers (we never trust X-Forwarded-Host anyway: links come from APP_URL).
 */
import type { Context, MiddlewareHandler } from "hono";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function sameOriginPosts({ onRejected }: { onRejected: (c: Context) => Response }): MiddlewareHandler {
  return async function sameOriginPosts(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header("Origin");
    const hasRealOrigin = origin !== undefined && origin !== "null";
    const allowed = hasRealOrigin
      ? origin === new URL(c.req.url).origin
      : c.req.header("Sec-Fetch-Site") === "same-origin";
    if (!allowed) return onRejected(c);

    if (!hasRealOrigin || c.req.header("X-Forwarded-Host") !== undefined) {
      const headers = new Headers(c.req.raw.headers);
      if (!hasRealOrigin) headers.delete("Origin");
      headers.delete("X-Forwarded-Host");
      c.req.raw = new Request(c.req.raw, { headers });
    }
    return next();
  };
}
