// `npm run dev`: the production build served by `wrangler dev` (real workerd, local D1/KV), rebuilt
// whenever a file under app/ or public/ changes. wrangler reloads the Worker when the build changes.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync, statSync, watch } from "node:fs";
import { join } from "node:path";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const run = (args) => spawnSync("npx", args, { stdio: "inherit", env }).status === 0;

if (spawnSync("node", ["scripts/local-setup.mjs"], { stdio: "inherit", env }).status !== 0) process.exit(1);
if (!run(["remix", "vite:build"])) process.exit(1);

const wrangler = spawn("npx", ["wrangler", "dev", "--port", "8787", ...process.argv.slice(2)], { stdio: "inherit", env });
wrangler.on("exit", (code) => process.exit(code ?? 0));

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
console.log("[dev] Latchkey: http://localhost:8787 · mailbox: http://localhost:8787/dev/mailbox");
