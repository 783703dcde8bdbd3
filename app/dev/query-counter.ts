/**
 * The bench's D1 round-trip counter: with BENCH_COUNT_QUERIES=true (set by npm run bench), every
 * response says in X-D1-Queries how many D1 round trips (a statement or a batch) it needed. Work the
 * request leaves for after its response (waitUntil) is not counted.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { WorkerEnv } from "~/worker";

export const QUERY_COUNT_HEADER = "X-D1-Queries";

export function queryCounter() {
  const counts = new WeakMap<Context, number>();
  return {
    /** For WorkerOptions.onQuery: told of each round trip of the request `c`. */
    count(c: Context<WorkerEnv>) {
      counts.set(c, (counts.get(c) ?? 0) + 1);
    },
    /** Mounted right after the app reads its configuration, so it sees the finished response. */
    header: async function queryCountHeader(c, next) {
      await next();
      if (c.env.BENCH_COUNT_QUERIES === "true") c.res.headers.set(QUERY_COUNT_HEADER, String(counts.get(c) ?? 0));
    } satisfies MiddlewareHandler<WorkerEnv>,
  };
}
