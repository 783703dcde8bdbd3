import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";

// Types follow single fetch: useLoaderData<typeof loader>() is what turbo-stream delivers, and data()
// (status and headers) unwraps to its value.
declare module "@remix-run/cloudflare" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  plugins: [
    remix({
      // scripts/dev.mjs builds into a staging folder and swaps files in, so `wrangler dev` never sees
      // build/ half-empty while it is watching it.
      buildDirectory: process.env.LATCHKEY_BUILD_DIR ?? "build",
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        // Routes come from app/routes.ts (still the file-name convention, via flatRoutes()).
        v3_routeConfig: true,
        // The page's HTML lists only the routes it needs; the browser asks GET /__manifest for the rest.
        v3_lazyRouteDiscovery: true,
        // One request per client-side navigation or submission, to /<route>.data (decision 012).
        v3_singleFetch: true,
      },
    }),
  ],
  resolve: { alias: { "~": new URL("./app", import.meta.url).pathname } },
  ssr: {
    target: "webworker",
    resolve: { conditions: ["workerd", "worker", "browser"], externalConditions: ["workerd", "worker"] },
  },
  build: { minify: true },
});
