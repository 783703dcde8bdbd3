import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requestBodies } from "~/worker/middleware/request-bodies";

const LIMIT = 1024;

/** A client body sent in chunks, recording how far it was read, as workerd needs it read to reuse a connection. */
function clientBody(totalBytes: number, chunkBytes = 256) {
  const seen = { sent: 0, readToEnd: false, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.sent >= totalBytes) {
        seen.readToEnd = true;
        controller.close();
        return;
      }
      const size = Math.min(chunkBytes, totalBytes - seen.sent);
      seen.sent += size;
      controller.enqueue(new Uint8Array(size).fill(0x61));
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 }); // nothing is produced until someone reads
  return { stream, seen };
}

function app() {
  const hono = new Hono();
  hono.use(requestBodies({ maxBytes: LIMIT, discardBytes: 8 * LIMIT, onTooLarge: (c) => c.text("too large", 413) }));
  hono.post("/ignores-body", (c) => c.text("ok"));
  hono.post("/echo-length", async (c) => c.text(String((await c.req.raw.arrayBuffer()).byteLength)));
  return hono;
}

function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  return app().request(`https://latchkey.test${path}`, { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

describe("requestBodies", () => {
  it("hands on a body within the limit intact", async () => {
    const { stream } = clientBody(LIMIT);
    const response = await post("/echo-length", stream);
    expect(await response.text()).toBe(String(LIMIT));
  });

  it("reads the client's body to the end even when the route never reads it", async () => {
    const { stream, seen } = clientBody(300);
    const response = await post("/ignores-body", stream, { "Content-Length": "300" });
    expect(response.status).toBe(200);
    expect(seen.readToEnd).toBe(true);
  });

  // Issue 17: stopping at the limit left the rest of a chunked upload unread, and workerd dropped the
  // client's keep-alive connection, failing the next request on it.
  it("refuses a chunked body over the limit with 413 after reading it to the end", async () => {
    const { stream, seen } = clientBody(3 * LIMIT);
    const response = await post("/echo-length", stream);
    expect(response.status).toBe(413);
    expect(seen.readToEnd).toBe(true);
  });

  it("gives up on a chunked body past the discard budget, cancelling it", async () => {
    const { stream, seen } = clientBody(100 * LIMIT);
    const response = await post("/echo-length", stream);
    expect(response.status).toBe(413);
    expect(seen.cancelled).toBe(true);
    expect(seen.sent).toBeLessThan(10 * LIMIT);
  });

  it("refuses a body whose Content-Length is over the limit without reading it", async () => {
    const { stream, seen } = clientBody(2 * LIMIT);
    const response = await post("/echo-length", stream, { "Content-Length": String(2 * LIMIT) });
    expect(response.status).toBe(413);
    expect(seen.sent).toBe(0);
  });

  it("refuses to be built with a discard budget below the limit", () => {
    expect(() => requestBodies({ maxBytes: 10, discardBytes: 5, onTooLarge: (c) => c.text("", 413) })).toThrow();
  });
});
