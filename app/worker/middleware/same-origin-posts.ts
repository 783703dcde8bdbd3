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
 * Mount it after the body limit: dropping a header means rebuilding the request, and the body is read
 * into memory first (see withoutHeaders).
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

    const drop = [...(hasRealOrigin ? [] : ["Origin"]), "X-Forwarded-Host"].filter((name) => c.req.header(name) !== undefined);
    if (drop.length > 0) c.req.raw = await withoutHeaders(c.req.raw, drop);
    return next();
  };
}

/**
 * The same request minus some headers. Incoming headers are immutable in workerd, so this is a new
 * Request, and its body is the old one read into memory (at most the 16 KiB the body limit lets
 * through), never the client's stream itself: wrapping the unread stream in a new Request made workerd
 * close the client's keep-alive connection whenever the route answered without reading the body
 * (`POST /healthz` with X-Forwarded-Host), and under `wrangler dev` that surfaced as "Your worker
 * restarted mid-request" 503s for unrelated requests. See docs/decisions/006.
 */
async function withoutHeaders(request: Request, names: string[]): Promise<Request> {
  const headers = new Headers(request.headers);
  for (const name of names) headers.delete(name);
  const body = request.body ? await request.arrayBuffer() : undefined;
  return new Request(request, { headers, body });
}
