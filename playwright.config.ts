import { defineConfig } from "@playwright/test";
import { BRAND, brandedBaseUrl } from "./test/e2e/branding";

// Browser tests drive the production build under `wrangler dev` (npm run preview, which serves the local
// entry app/dev/worker.ts: the deployed app plus the dev mailbox and the stand-ins) in Debian's Chromium.
// Playwright's own browser downloads are never used: CHROMIUM_PATH or /usr/bin/chromium.
// E2E_PORT lets several checkouts run their suites side by side; APP_URL follows the port so links in
// emails point at the server under test.
const PORT = Number(process.env.E2E_PORT ?? 8787);

// A second server on the next port runs the same build with a team's branding (BRAND_* vars), its own
// local D1/KV in BRANDED_STATE.
const BRANDED_URL = brandedBaseUrl();
const BRANDED_STATE = ".wrangler/e2e-branded";
const brandVars = Object.entries(BRAND)
  .map(([name, value]) => `--var '${name}:${value}'`)
  .join(" ");

export default defineConfig({
  testDir: "test/e2e",
  outputDir: "test-results/artifacts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: [["list"]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
      ],
    },
  },
  projects: [
    // Tests that only mean something with (or without) JavaScript are tagged @js-only / @no-js-only and run
    // in that project alone, instead of skipping themselves in the other.
    { name: "with-javascript", use: { javaScriptEnabled: true }, grepInvert: /@no-js-only/ },
    // Layout checks don't depend on scripts; run them once.
    { name: "without-javascript", use: { javaScriptEnabled: false }, testIgnore: "**/layout.spec.ts", grepInvert: /@js-only/ },
  ],
  webServer: [
    {
      // Every run signs in several times from one (absent) IP; a wider per-IP budget keeps reruns within an
      // hour from tripping the KV gate, which the workerd integration tests cover at its real default.
      command: `npm run preview -- --port ${PORT} --var APP_URL:http://localhost:${PORT} --var LIMIT_IP_SENDS:1000/3600 --var LIMIT_IP_VERIFY:1000/600`,
      url: `http://localhost:${PORT}/healthz`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
      env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    },
    {
      // The same build as a team would brand it (theming.spec.ts), with its own local D1/KV. Started after
      // the first server, whose `npm run preview` has built the app.
      command:
        `npx wrangler d1 migrations apply DB --local --persist-to ${BRANDED_STATE} >/dev/null && ` +
        `npx wrangler dev app/dev/worker.ts --port ${new URL(BRANDED_URL).port} --persist-to ${BRANDED_STATE} --var APP_URL:${BRANDED_URL} ${brandVars}`,
      url: `${BRANDED_URL}/healthz`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
      env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
    },
  ],
});
