// The Worker's two entries. `wrangler deploy` bundles wrangler.toml's `main`, the deployed entry; every
// local run (npm run dev, npm run preview, the e2e suite, npm run bench) serves the dev entry instead,
// with the same wrangler.toml, so bindings and vars can't drift apart (docs/decisions/013).
export const DEPLOYED_ENTRY = "app/worker.ts";
export const DEV_ENTRY = "app/dev/worker.ts";
