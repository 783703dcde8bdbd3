import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { sameOriginPosts } from "~/worker/middleware/same-origin-posts";

const ORIGIN = "https://latchkey.test";

/** A client body that records whether it was read to the end, as workerd needs to reuse a connection. */
function clientBody(text: string) {
  const bytes = new TextEncoder().encode(text);
  const seen = { readToEnd: false };
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes);
      } else {
        seen.readToEnd = true;
        controller.close();
      }
    },
  });
  return { stream, seen };
}

/** A tiny app: the middleware, then a route that ignores the body (like /healthz) and one that echoes it. */
function app() {
  const seenByRoute: { xForwardedHost?: string | null; origin?: string | null } = {};
  const hono = new Hono();
  hono.use(sameOriginPosts({ onRejected: (c) => c.text("refused", 403) }));
  hono.post("/ignores-body", (c) => {
    seenByRoute.xForwardedHost = c.req.raw.headers.get("X-Forwarded-Host");
    seenByRoute.origin = c.req.raw.headers.get("Origin");
    return c.text("ok");
  });
  hono.post("/echo", async (c) => c.text(new TextDecoder().decode(await c.req.raw.arrayBuffer())));
  return { hono, seenByRoute };
}

function post(hono: Hono, path: string, body: BodyInit, headers: Record<string, string>) {
  return hono.request(`${ORIGIN}${path}`, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    duplex: "half",
  } as RequestInit);
}

describe("sameOriginPosts dropping headers Remix would trip over", () => {
  it("hands on a same-origin POST without its X-Forwarded-Host", async () => {
    const { hono, seenByRoute } = app();
    const response = await post(hono, "/ignores-body", "email=a%40b.c", { Origin: ORIGIN, "X-Forwarded-Host": "evil.x" });
    expect(response.status).toBe(200);
    expect(seenByRoute.xForwardedHost).toBeNull();
    expect(seenByRoute.origin).toBe(ORIGIN);
  });

  it("hands on Origin: null from a same-origin page without the Origin header", async () => {
    const { hono, seenByRoute } = app();
    const response = await post(hono, "/ignores-body", "token=x", { Origin: "null", "Sec-Fetch-Site": "same-origin" });
    expect(response.status).toBe(200);
    expect(seenByRoute.origin).toBeNull();
  });

  it("keeps the body intact when it rebuilds the request", async () => {
    const { hono } = app();
    const { stream } = clientBody("email=a%40b.c&redirectTo=%2Faccount");
    const response = await post(hono, "/echo", stream, { Origin: ORIGIN, "X-Forwarded-Host": "evil.x" });
    expect(await response.text()).toBe("email=a%40b.c&redirectTo=%2Faccount");
  });

  // Issue 17: a new Request wrapped around the client's unread stream, answered without reading it, made
  // workerd drop the keep-alive connection (ECONNRESET / wrangler's "restarted mid-request" 503).
  it("reads the client's body to the end before rebuilding, even for a route that never reads it", async () => {
    const { hono } = app();
    const { stream, seen } = clientBody("email=a%40b.c");
    const response = await post(hono, "/ignores-body", stream, { Origin: ORIGIN, "X-Forwarded-Host": "evil.x" });
    expect(response.status).toBe(200);
    expect(seen.readToEnd).toBe(true);
  });

  it("leaves a request with nothing to drop untouched, body unread", async () => {
    const { hono } = app();
    const { stream, seen } = clientBody("email=a%40b.c");
    const response = await post(hono, "/ignores-body", stream, { Origin: ORIGIN });
    expect(response.status).toBe(200);
    expect(seen.readToEnd).toBe(false);
  });
});
