/**
 * A path with a broken %-escape (`/%`, `/login%`, `/%E0%A4%A`) can't name any page. Remix's router
 * would still try it and log a warning for every such request (several per request), so a flood of
 * them became a flood of log lines (issue 17); answering them here is quieter and says what is wrong.
 */
import type { Context, MiddlewareHandler } from "hono";

export function readablePaths({ onRejected }: { onRejected: (c: Context) => Response }): MiddlewareHandler {
  return async function readablePaths(c, next) {
    try {
      decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return onRejected(c);
    }
    return next();
  };
}
