/**
 * Every request gets an id of ours, shown to the person on error pages and written with every log line
 * (LOG-1). A client's own `X-Request-Id` is never used as ours (it could collide with, or impersonate,
 * another request's id in our logs); it is kept beside it, cleaned and capped, for correlation.
 */
import type { MiddlewareHandler } from "hono";

const CLIENT_ID_MAX_LENGTH = 64;

declare module "hono" {
  interface ContextVariableMap {
    requestId: string;
    clientRequestId: string | null;
  }
}

export function requestIds(): MiddlewareHandler {
  return async function requestIds(c, next) {
    c.set("requestId", crypto.randomUUID());
    c.set("clientRequestId", cleanClientRequestId(c.req.header("X-Request-Id")));
    await next();
  };
}

/** Printable ASCII id characters only, at most 64 of them; null if nothing usable is left. */
export function cleanClientRequestId(value: string | undefined): string | null {
  if (!value) return null;
  const cleaned = value.replace(/[^A-Za-z0-9._:\-]/g, "").slice(0, CLIENT_ID_MAX_LENGTH);
  return cleaned === "" ? null : cleaned;
}
