/**
 * Intercepts the Worker's outbound fetch to one mail provider's HTTP API (the Worker runs in the test's
 * isolate, so a spy on globalThis.fetch sees its calls) and records each request. Any other outbound
 * request fails the test.
 */
import { vi } from "vitest";

export interface CapturedRequest {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

export type Reply = (request: Request) => Response | Promise<Response>;

export function interceptMailApi(endpoint: string, reply: Reply) {
  const captured: CapturedRequest[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (request.url !== endpoint) throw new Error(`unexpected outbound fetch to ${request.url}`);
    captured.push({
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: await request.clone().json(),
    });
    return reply(request);
  });
  return { captured, spy };
}

/** A reply that never comes, except that it gives up when the caller aborts (as fetch does). */
export const hang: Reply = (request) =>
  new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));

/** A host that can't be reached: fetch rejects at once, as it does when the network is down. */
export const unreachable: Reply = () => {
  throw new TypeError("Network connection lost.");
};
