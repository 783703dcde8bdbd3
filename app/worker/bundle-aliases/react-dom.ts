/**
 * `react-dom` inside the Worker bundle (wrangler.toml [alias]). The Worker only renders to a stream
 * (react-dom/server); it never mounts into a DOM. The one module that imports plain `react-dom` on the
 * server is react-router-dom, and only to call `flushSync` during client-side navigations, which never
 * happen in the Worker; yet the import brought React DOM's whole client renderer along, 135 KiB
 * minified (a third of the deployable bundle's gzip size; BENCHMARKS.md). A named import of anything
 * else from `react-dom` fails the build ("No matching export"), so this can't silently stand in for
 * more than it does. The browser build (Vite) is not affected.
 */
export function flushSync<T>(run: () => T): T {
  return run();
}
