/**
 * Request bodies are capped (WEB-5) and read here, once, into memory: nothing after this middleware
 * holds the client's stream. That matters beyond the cap itself (issue 17, docs/decisions/006):
 *
 * - workerd can reuse a client's keep-alive connection only once the request body has been read to the
 *   end; a body that was started but not finished (a chunked upload refused at the limit) or moved into
 *   a new Request and then ignored made it drop the connection, and the next request on it failed.
 * - `GET` and `HEAD` may arrive with a body (`Content-Length: 0` from some clients), which workerd
 *   passes on, but Remix (and any `new Request(request, …)`) throws on: they are handed on without one.
 *
 * A body declared too large by Content-Length is refused without reading it; the runtime discards it.
 * One sent chunked is read to the end, keeping only the first `maxBytes`, up to `discardBytes`; past
 * that it is cancelled, and that client's connection may close, which is fine for such an upload.
 */
import type { Context, MiddlewareHandler } from "hono";

const BODILESS_METHODS = new Set(["GET", "HEAD"]);

export function requestBodies({
  maxBytes,
  discardBytes = 1024 * 1024,
  onTooLarge,
}: {
  maxBytes: number;
  discardBytes?: number;
  onTooLarge: (c: Context) => Response | Promise<Response>;
}): MiddlewareHandler {
  if (!(maxBytes > 0) || discardBytes < maxBytes) throw new Error("requestBodies: need 0 < maxBytes <= discardBytes");

  return async function requestBodies(c, next) {
    const request = c.req.raw;
    if (!request.body) return next();
    const declared = request.headers.has("Transfer-Encoding") ? null : request.headers.get("Content-Length");
    if (declared !== null && Number(declared) > maxBytes) return onTooLarge(c);

    const body = await readAtMost(request.body, maxBytes, discardBytes);
    if (body === "too-large") return onTooLarge(c);
    c.req.raw = BODILESS_METHODS.has(request.method)
      ? new Request(request.url, { method: request.method, headers: request.headers, redirect: request.redirect, cf: request.cf, signal: request.signal })
      : new Request(request, { body });
    return next();
  };
}

/** The whole body, or "too-large" once it passes maxBytes (read on, unkept, up to discardBytes). */
async function readAtMost(stream: ReadableStream<Uint8Array>, maxBytes: number, discardBytes: number): Promise<Uint8Array<ArrayBuffer> | "too-large"> {
  const reader = stream.getReader();
  const kept: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > discardBytes) {
      await reader.cancel();
      return "too-large";
    }
    if (size <= maxBytes) kept.push(value);
  }
  if (size > maxBytes) return "too-large";
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of kept) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
