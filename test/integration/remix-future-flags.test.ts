/**
 * What the Remix v3 future flags changed on the wire, through the real Worker and its middleware:
 * lazy route discovery asks GET /__manifest for routes the page didn't list, and single fetch sends
 * every client-side loader and action request to `/<route>.data`. The same-origin check, the form-only
 * check and the body limit must treat those exactly as they treat the page itself.
 */
import { describe, expect, it } from "vitest";
// The Remix build the Worker serves (npm run build); untyped, like in app/worker.ts.
// @ts-ignore -- produced by the build
import * as remixBuild from "../../build/server/index.js";
import { count, get, mailsTo, ORIGIN, post, requestLink, SELF_URL_HOST, url } from "../helpers/app";
import { singleFetchData } from "../helpers/page-data";

const version = (remixBuild as { assets: { version: string } }).assets.version;

describe("lazy route discovery (GET /__manifest)", () => {
  it("answers the browser's question about a path with that path's routes, through the middleware", async () => {
    const response = await get(`/__manifest?p=%2Faccount%2Fdelete&version=${version}`);
    expect(response.status).toBe(200);
    const patches = (await response.json()) as Record<string, { path?: string }>;
    expect(Object.keys(patches)).toEqual(expect.arrayContaining(["root", "routes/account.delete"]));
    // Only asset URLs, the same for everyone: the build marks it cacheable and the middleware keeps that.
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
  });

  it("tells a page from an older deployment to reload instead of mixing builds", async () => {
    const response = await get("/__manifest?p=%2Faccount&version=old-build");
    expect(response.status).toBe(204);
    expect(response.headers.get("X-Remix-Reload-Document")).toBe("true");
  });

  it("lists only the current page's routes in the page itself", async () => {
    const html = await (await get("/login")).text();
    expect(html).toContain('"routes/login"');
    expect(html).not.toContain('"routes/account.delete"');
  });
});

/** What the browser's single-fetch client sends for a <Form method="post">: the form, urlencoded, from our origin. */
function submitData(path: string, form: Record<string, string>, { origin = ORIGIN, cookie }: { origin?: string; cookie?: string } = {}) {
  return post(`${path}.data`, form, { origin, cookie });
}

describe("single fetch (/<route>.data)", () => {
  it("answers a client-side submission like the form post: same checks, same mail, turbo-stream data", async () => {
    const response = await submitData("/login", { email: "ada@example.com", redirectTo: "" });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/x-script");
    expect(response.headers.get("X-Remix-Response")).toBe("yes");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await singleFetchData(response)).toEqual({ data: { status: "sent", email: "ada@example.com" } });
    expect(await mailsTo("ada@example.com")).toHaveLength(1);
  });

  it("keeps an action's 4xx status and message, so the page can show it", async () => {
    const response = await submitData("/login", { email: "not-an-email" });
    expect(response.status).toBe(400);
    expect(await singleFetchData(response)).toEqual({ data: expect.objectContaining({ status: "invalid", email: "not-an-email" }) });
  });

  it("carries Retry-After on a 429 answer, as the page's own response does", async () => {
    await post("/login", { email: "ada@example.com" });
    const response = await submitData("/login", { email: "ada@example.com" });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await singleFetchData(response)).toEqual({ data: { status: "rate-limited", message: expect.stringMatching(/^Too many sign-in emails were requested/) } });
  });

  it("refuses a submission from another site with 403, before the action runs", async () => {
    const response = await submitData("/login", { email: "ada@example.com" }, { origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(await count("outbox_messages")).toBe(0);
  });

  it("refuses a JSON body with 415 and an oversized one with 413", async () => {
    const json = await SELF_URL_HOST(url("/login.data"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: ORIGIN },
      body: JSON.stringify({ email: "ada@example.com" }),
    });
    expect(json.status).toBe(415);
    const large = await submitData("/login", { email: "ada@example.com", padding: "x".repeat(16 * 1024) });
    expect(large.status).toBe(413);
    expect(await count("outbox_messages")).toBe(0);
  });

  it("turns a thrown redirect into a 202 the client follows, keeping its cookies", async () => {
    const token = await requestLink("ada@example.com");
    const response = await submitData("/auth/verify", { token });
    expect(response.status).toBe(202);
    expect(response.headers.getSetCookie().some((c) => c.startsWith("__Host-latchkey_session="))).toBe(true);
    // An action's redirect is the whole answer; a loader's is tagged (see the next test).
    expect(await singleFetchData(response)).toEqual(expect.objectContaining({ redirect: "/dashboard", status: 303, revalidate: true }));
  });

  it("sends a signed-out client-side navigation to the sign-in page", async () => {
    const response = await get("/dashboard.data");
    expect(response.status).toBe(202);
    expect(await singleFetchData(response)).toEqual({
      type: "SingleFetchRedirect",
      values: [expect.objectContaining({ redirect: "/login?redirectTo=%2Fdashboard", status: 303 })],
    });
  });

  it("answers the home page's data at /_root.data", async () => {
    const response = await get("/_root.data");
    expect(response.status).toBe(200);
    const data = (await singleFetchData(response)) as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(expect.arrayContaining(["root", "routes/_index"]));
  });
});

describe("requests in the old ?_data= form", () => {
  it.each([
    ["GET", "/login?_data=routes%2Flogin"],
    ["GET", "/no/such/page?_data=root"],
    ["POST", "/login?_data=routes%2Flogin"],
  ])("answers %s %s with a 400 page, not a 500 and an error in the log", async (method, path) => {
    const response =
      method === "GET" ? await get(path) : await post(path, { email: "ada@example.com" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("That request isn&#39;t supported");
  });
});
