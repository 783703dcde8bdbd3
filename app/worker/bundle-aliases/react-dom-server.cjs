// `react-dom/server` inside the Worker bundle (wrangler.toml [alias]). React 18's own entry for workerd,
// server.browser.js, loads two renderers: the streaming one that app/entry.server.tsx uses and the legacy
// renderToString one that nothing here calls, 36 KiB minified. This is that entry with the legacy half
// left out; the NODE_ENV test is React's own (wrangler sets it: production for deploy, development for
// wrangler dev), so esbuild keeps exactly one build of the renderer. The files are reached by path
// because react-dom's package.json exports don't list them.
"use strict";

if (process.env.NODE_ENV === "production") {
  module.exports = require("../../../node_modules/react-dom/cjs/react-dom-server.browser.production.min.js");
} else {
  module.exports = require("../../../node_modules/react-dom/cjs/react-dom-server.browser.development.js");
}
