/**
 * Security headers on every response the Worker produces (WEB-3, WEB-4). The CSP nonce is generated
 * here, before the page renders, so Remix's inline scripts can carry it.
 *
 * A page that needs a third-party origin (Google One Tap) asks for it through `c.get("csp").allow(...)`,
 * handed to loaders as `context.csp`: the sources are added to that response's CSP only, so every other
 * page keeps the strict default. Widening can only add https sources; the fixed directives
 * (frame-ancestors, object-src, base-uri, form-action, default-src) can't be touched at all.
 */
import type { MiddlewareHandler } from "hono";
import { encodeBase64Url } from "~/lib/crypto.server";

export const HSTS_MAX_AGE_SECONDS = 63_072_000; // two years

export type CspDirective = "script-src" | "style-src" | "img-src" | "connect-src" | "frame-src";
export type CspAdditions = Partial<Record<CspDirective, readonly string[]>>;

/**
 * What a page may relax in its own response: add https sources to a few CSP directives, and let windows
 * it opens (a sign-in popup) keep their opener. Nothing else.
 */
export interface CspWidening {
  allow(additions: CspAdditions): void;
  /** Cross-Origin-Opener-Policy `same-origin-allow-popups` instead of `same-origin` for this response. */
  allowPopupOpeners(): void;
}

/** An https origin, optionally with a path ("https://accounts.google.com/gsi/"): no wildcards, no keywords. */
const HTTPS_SOURCE = /^https:\/\/[a-z0-9.-]+(?::\d+)?(?:\/[A-Za-z0-9._~\/-]*)?$/;

function cspWidening(): CspWidening & { added: Map<CspDirective, Set<string>>; popupOpeners: () => boolean } {
  const added = new Map<CspDirective, Set<string>>();
  let popupOpeners = false;
  return {
    added,
    popupOpeners: () => popupOpeners,
    allowPopupOpeners() {
      popupOpeners = true;
    },
    allow(additions) {
      for (const [directive, sources] of Object.entries(additions) as [CspDirective, readonly string[]][]) {
        for (const source of sources) {
          // A bug, not a request problem: only code decides what goes here.
          if (!HTTPS_SOURCE.test(source)) throw new Error(`refusing to add "${source}" to the CSP`);
          if (!added.has(directive)) added.set(directive, new Set());
          added.get(directive)!.add(source);
        }
      }
    },
  };
}

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
    const widening = cspWidening();
    c.set("csp", widening);
    await next();
    const plus = (directive: CspDirective) => [...(widening.added.get(directive) ?? [])].map((source) => ` ${source}`).join("");

    // Some responses (e.g. from fetch) have immutable headers; a shallow copy is cheap.
    c.res = new Response(c.res.body, c.res);
    const headers = c.res.headers;
    headers.set(
      "Content-Security-Policy",
      [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}'${plus("script-src")}`,
        inlineStyles.has(c.req.path) ? "style-src 'self' 'unsafe-inline'" : `style-src 'self'${plus("style-src")}`,
        // GitHub avatars on the dashboard (the local stand-in serves its own from 'self').
        `img-src 'self' data: https://avatars.githubusercontent.com${plus("img-src")}`,
        "font-src 'self'",
        `connect-src 'self'${plus("connect-src")}`,
        // Spelled out only when a page adds a frame source; otherwise default-src 'self' applies.
        ...(widening.added.has("frame-src") ? [`frame-src 'self'${plus("frame-src")}`] : []),
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
    headers.set("Cross-Origin-Opener-Policy", widening.popupOpeners() ? "same-origin-allow-popups" : "same-origin");
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
