// `npm run dev`: the production build served through the local entry (app/dev/worker.ts: the deployed
// app plus the dev mailbox, the stand-ins and the demo app) by `wrangler dev` (real workerd, local
// D1/KV), rebuilt whenever a file under app/ or public/ changes; wrangler reloads the Worker when the
// build changes. Extra arguments go to wrangler, e.g. `npm run dev -- --port 8791 --var APP_URL:http://localhost:8791`.
//
// The line that says where Latchkey and its mailbox are is printed last, once wrangler is ready and has
// gone quiet, so it isn't lost above wrangler's bindings table (issue 16). Wrangler's output is passed
// through a pipe for that, which costs its keyboard shortcuts; Ctrl-C still stops everything.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import { DEV_ENTRY } from "./lib/entries.mjs";

const DEFAULT_PORT = "8787"; // wrangler.toml [dev] port
/** How long wrangler must be quiet after "Ready on" before the summary line goes out. */
const QUIET_MS = 400;

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const run = (args) => spawnSync("npx", args, { stdio: "inherit", env }).status === 0;

/** The --port the caller passed through to wrangler, if any. */
function portIn(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--port") return args[i + 1];
    if (args[i].startsWith("--port=")) return args[i].slice("--port=".length);
  }
  return undefined;
}

const passed = process.argv.slice(2);
const port = portIn(passed) ?? DEFAULT_PORT;
const origin = `http://localhost:${port}`;

if (spawnSync("node", ["scripts/local-setup.mjs"], { stdio: "inherit", env }).status !== 0) process.exit(1);
console.log("[dev] building…");
if (!run(["remix", "vite:build", "--logLevel", "warn"])) process.exit(1);

const wrangler = spawn("npx", ["wrangler", "dev", DEV_ENTRY, ...(portIn(passed) ? [] : ["--port", port]), ...passed], {
  stdio: ["inherit", "pipe", "pipe"],
  // Piped output would lose wrangler's colours; keep them when we are printing to a terminal.
  env: process.stdout.isTTY ? { ...env, FORCE_COLOR: "1" } : env,
});
wrangler.on("exit", (code) => process.exit(code ?? 0));

let ready = false;
let announced = false;
let quiet;
function announceWhenQuiet() {
  clearTimeout(quiet);
  quiet = setTimeout(() => {
    announced = true;
    console.log(`\n[dev] Latchkey: ${origin} · dev mailbox (sign-in mail): ${origin}/dev/mailbox · demo app: ${origin}/dev/rp`);
  }, QUIET_MS);
}
function relay(stream, out) {
  stream.on("data", (chunk) => {
    out.write(chunk);
    if (announced) return;
    if (!ready && /Ready on http/.test(chunk.toString().replace(/\x1b\[[0-9;]*m/g, ""))) ready = true;
    if (ready) announceWhenQuiet();
  });
}
relay(wrangler.stdout, process.stdout);
relay(wrangler.stderr, process.stderr);

const STAGING = ".wrangler/build-next";

/** Copies the fresh build over build/ and then removes files the new build no longer has. */
function swapInBuild() {
  cpSync(STAGING, "build", { recursive: true });
  const prune = (fresh, live) => {
    for (const name of readdirSync(live)) {
      const freshPath = join(fresh, name);
      const livePath = join(live, name);
      if (!existsSync(freshPath)) rmSync(livePath, { recursive: true, force: true });
      else if (statSync(livePath).isDirectory()) prune(freshPath, livePath);
    }
  };
  prune(STAGING, "build");
}

let timer;
let building = false;
let again = false;
function rebuild() {
  if (building) {
    again = true;
    return;
  }
  building = true;
  const child = spawn("npx", ["remix", "vite:build", "--logLevel", "warn"], {
    stdio: "inherit",
    env: { ...env, LATCHKEY_BUILD_DIR: STAGING },
  });
  child.on("exit", (code) => {
    if (code === 0) swapInBuild();
    building = false;
    console.log(code === 0 ? "[dev] rebuilt; wrangler is reloading" : "[dev] build failed; fix the error and save again");
    if (again) {
      again = false;
      rebuild();
    }
  });
}
for (const dir of ["app", "public"]) {
  watch(dir, { recursive: true }, (_event, file) => {
    if (file?.endsWith("worker-configuration.d.ts")) return;
    clearTimeout(timer);
    timer = setTimeout(rebuild, 150);
  });
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
