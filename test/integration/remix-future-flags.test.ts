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
import { get } from "../helpers/app";

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
