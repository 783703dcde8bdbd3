import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig, type Plugin } from "vite";

const APP = new URL("./app/", import.meta.url).pathname;

/**
 * The deployed Worker is app/worker.ts, which imports the domain code (app/auth, app/provider, app/lib,
 * app/db, app/emails) itself and also imports this server build. Bundled by Vite, the build would carry
 * its own second copy of every such module (two copies of the schema, the session code, the provider…,
 * ~80 KiB minified, and two module instances of each cache). Left as `~/…` imports in the server build
 * instead, wrangler's esbuild resolves them through tsconfig's paths to the same files worker.ts imports,
 * so the deployed bundle holds one copy. The vitest pool resolves `~` the same way (vitest.config.ts).
 */
function shareDomainModules(): Plugin {
  const shared = /^(auth|provider|lib|db|emails)\//;
  return {
    name: "latchkey:share-domain-modules",
    enforce: "pre",
    resolveId(source, _importer, options) {
      if (!options?.ssr) return null;
      const path = source.startsWith("~/") ? source.slice(2) : source.startsWith(APP) ? source.slice(APP.length) : null;
      if (path === null || !shared.test(path)) return null;
      return { id: `~/${path.replace(/\.tsx?$/, "")}`, external: true };
    },
  };
}

// Types follow single fetch: useLoaderData<typeof loader>() is what turbo-stream delivers, and data()
// (status and headers) unwraps to its value.
declare module "@remix-run/cloudflare" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  plugins: [
    shareDomainModules(),
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
