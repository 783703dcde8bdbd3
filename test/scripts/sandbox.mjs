// A throwaway project directory for the script tests: the repo's wrangler.toml with the values it ships
// with, a fake `wrangler` (and `remix`) first on PATH, the fake's state file, and a fake Cloudflare API
// for the one call wrangler has no command for (the account's workers.dev subdomain).
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { D1, KV, setValue, VARS } from "../../scripts/lib/wrangler-toml.mjs";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FAKE_WRANGLER = join(REPO, "test", "scripts", "fake-wrangler.mjs");

/** The repo's wrangler.toml as shipped (a checkout where setup already ran has its own values). */
export function shippedToml() {
  let toml = readFileSync(join(REPO, "wrangler.toml"), "utf8");
  toml = setValue(toml, VARS, "APP_URL", "https://latchkey.example.com");
  toml = setValue(toml, VARS, "EMAIL_PROVIDER", "resend");
  toml = setValue(toml, VARS, "EMAIL_FROM", "Latchkey <login@latchkey.example.com>");
  toml = setValue(toml, D1, "database_id", "00000000-0000-0000-0000-000000000000");
  toml = setValue(toml, KV, "id", "00000000000000000000000000000000");
  return toml.replace(/\n\[\[send_email\]\][\s\S]*?(?=\n\[|$)/, "\n");
}

export function createSandbox(state = {}) {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-setup-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "wrangler"), `#!/bin/sh\nexec node "${FAKE_WRANGLER}" "$@"\n`, { mode: 0o755 });
  writeFileSync(join(bin, "remix"), `#!/bin/sh\necho "remix $*" >> "${join(dir, "remix.log")}"\n`, { mode: 0o755 });
  writeFileSync(join(dir, "wrangler.toml"), shippedToml());
  const statePath = join(dir, "wrangler-state.json");
  writeFileSync(
    statePath,
    JSON.stringify({
      loggedIn: true,
      accounts: [{ id: "acc0123", name: "Ada's account" }],
      d1: [],
      kv: [],
      workerExists: false,
      secrets: {},
      migrationsApplied: false,
      calls: [],
      ...state,
    }),
  );
  const readState = () => JSON.parse(readFileSync(statePath, "utf8"));
  return {
    dir,
    toml: () => readFileSync(join(dir, "wrangler.toml"), "utf8"),
    state: readState,
    /** Each wrangler call as one string, e.g. "d1 create latchkey"; reset after reading. */
    takeCalls() {
      const current = readState();
      writeFileSync(statePath, JSON.stringify({ ...current, calls: [] }));
      return current.calls.map((call) => call.args.join(" "));
    },
    /** The package's npm scripts and the scripts they run, for `npm run` in the sandbox. */
    addPackage() {
      copyFileSync(join(REPO, "package.json"), join(dir, "package.json"));
      cpSync(join(REPO, "scripts"), join(dir, "scripts"), { recursive: true });
    },
    /** Runs a command in the sandbox with the fakes first on PATH and no terminal. */
    run(command, args, env = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
          cwd: dir,
          env: {
            PATH: `${bin}${delimiter}${process.env.PATH}`,
            HOME: dir,
            FAKE_WRANGLER_STATE: statePath,
            WRANGLER_SEND_METRICS: "false",
            npm_config_update_notifier: "false",
            ...env,
          },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
    },
  };
}

/** Answers GET /accounts/:id/workers/subdomain like Cloudflare's API, for the fake wrangler's token. */
export async function fakeCloudflareApi(subdomains) {
  const requests = [];
  const server = createServer((request, response) => {
    requests.push({ url: request.url, authorization: request.headers.authorization });
    const match = /^\/accounts\/([^/]+)\/workers\/subdomain$/.exec(request.url ?? "");
    const subdomain = match && request.headers.authorization === "Bearer fake-oauth-token" ? subdomains[match[1]] : undefined;
    response.setHeader("Content-Type", "application/json");
    if (subdomain) {
      response.end(JSON.stringify({ success: true, errors: [], result: { subdomain } }));
    } else {
      response.statusCode = 404;
      response.end(JSON.stringify({ success: false, errors: [{ code: 10007, message: "workers.dev subdomain not found" }], result: null }));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { baseUrl: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}
