/**
 * CSRF defence (WEB-1): a state-changing request must come from one of our own pages. Browsers send
 * Origin on every cross-origin and same-origin POST; Sec-Fetch-Site is the fallback for the few that
 * don't. A request with neither is refused: nothing legitimate posts to Latchkey without a browser.
 */
import type { Context, MiddlewareHandler } from "hono";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function sameOriginPosts({ onRejected }: { onRejected: (c: Context) => Response }): MiddlewareHandler {
  return async function sameOriginPosts(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header("Origin");
    const fetchSite = c.req.header("Sec-Fetch-Site");
    const allowed = origin ? origin === new URL(c.req.url).origin : fetchSite === "same-origin";
    if (!allowed) return onRejected(c);
    return next();
  };
}
