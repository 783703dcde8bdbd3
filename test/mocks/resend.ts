/**
 * Intercepts the Worker's outbound fetch to Resend's API (the Worker runs in the test's isolate, so a
 * spy on globalThis.fetch sees its calls). Any other outbound request fails the test.
 */
import { vi } from "vitest";
import { RESEND_ENDPOINT } from "~/lib/mailer.server";

export interface CapturedRequest {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

export function interceptResend(reply: (request: Request) => Response | Promise<Response>) {
  const captured: CapturedRequest[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (request.url !== RESEND_ENDPOINT) throw new Error(`unexpected outbound fetch to ${request.url}`);
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
