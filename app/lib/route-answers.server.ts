/**
 * Answers that every page gives the same way. A rate-limited request (RL-4) gets a 429 with Retry-After
 * and the page's own data, which carries the sentence saying how long to wait; the route's `headers`
 * export (passThroughRetryAfter) hands Retry-After on to the page's response.
 */
import { data } from "@remix-run/cloudflare";

/** 429 with `Retry-After: seconds`; `headers` adds any others the answer needs (e.g. expired cookies). */
export function tooManyRequests<T>(body: T, seconds: number, headers?: HeadersInit) {
  const all = new Headers(headers);
  all.set("Retry-After", String(seconds));
  return data(body, { status: 429, headers: all });
}
