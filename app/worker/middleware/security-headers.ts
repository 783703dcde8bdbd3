/**
 * Security headers on every response the Worker produces (WEB-3, WEB-4). The CSP nonce is generated
 * here, before the page renders, so Remix's inline scripts can carry it.
 */
import type { MiddlewareHandler } from "hono";
import { encodeBase64Url } from "~/lib/crypto.server";

export const HSTS_MAX_AGE_SECONDS = 63_072_000; // two years

/**
 * `inlineStylePaths`: pages whose CSP also allows inline styles. Only for a page that shows mail HTML in
 * a sandboxed `srcdoc` frame (the dev mailbox): such a frame inherits its page's policy, and mail is
 * styled inline. Scripts stay nonce-only everywhere.
 */
export function securityHeaders({ inlineStylePaths = [] }: { inlineStylePaths?: string[] } = {}): MiddlewareHandler {
  const inlineStyles = new Set(inlineStylePaths);
  return async function securityHeaders(c, next) {
    const nonce = encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    c.set("cspNonce", nonce);
    await next();

    // Some responses (e.g. from fetch) have immutable headers; a shallow copy is cheap.
    c.res = new Response(c.res.body, c.res);
    const headers = c.res.headers;
    headers.set(
      "Content-Security-Policy",
      [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}'`,
        inlineStyles.has(c.req.path) ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
        // GitHub avatars on the dashboard (the local stand-in serves its own from 'self').
        "img-src 'self' data: https://avatars.githubusercontent.com",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
      ].join("; "),
    );
    // Lets a person quote a reference that matches our logs (set here: Remix's responses bypass c.header).
    const requestId = c.get("requestId");
    if (requestId) headers.set("X-Request-Id", requestId);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Cross-Origin-Opener-Policy", "same-origin");
    headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    // Pages whose URL carries a token set no-referrer themselves; everything else gets this default.
    if (!headers.has("Referrer-Policy")) headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
    if (new URL(c.req.url).protocol === "https:") {
      headers.set("Strict-Transport-Security", `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`);
    }
    // Every page is per-person or part of an auth flow: never let a shared cache keep one.
    if (!headers.has("Cache-Control") && !c.res.headers.get("Content-Type")?.startsWith("image/")) {
      headers.set("Cache-Control", "no-store");
    }
  };
}
