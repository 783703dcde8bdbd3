/**
 * Pages accept form posts only (WEB-5). Anything else (JSON, XML, no content type) would make Remix's
 * request.formData() throw deep inside an action; refusing it here gives a clear 415 instead.
 */
import type { Context, MiddlewareHandler } from "hono";

const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];

export function formBodies({ onRejected }: { onRejected: (c: Context) => Response }): MiddlewareHandler {
  return async function formBodies(c, next) {
    if (c.req.method !== "POST") return next();
    const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase() ?? "";
    if (!FORM_TYPES.includes(type)) return onRejected(c);
    return next();
  };
}
