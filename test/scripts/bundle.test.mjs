// Dev-only code never ships (issue 11 item 5; LOG-2: sign-in links are never kept or shown outside this
// machine). The bundle `wrangler deploy` would upload, built offline with --dry-run and minified as the
// bench measures it, holds no module from app/dev/ and none of the dev tools' unmistakable strings, and
// neither do the static assets deployed next to it. The dev entry's bundle is held to the opposite, so a
// marker that stopped meaning anything fails here instead of passing quietly.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { DEV_ENTRY } from "../../scripts/lib/entries.mjs";
import { REPO } from "./sandbox.mjs";

/** Strings only the dev tools contain, each with what it stands for. */
const MARKERS = {
  "GitHub stand-in": "the GitHub stand-in's page titles",
  "Google stand-in": "the Google stand-in's page titles",
  "latchkey-demo": "the demo relying party's client id",
  "/dev/mailbox": "the dev mailbox's path",
  "Dev mailbox": "the dev mailbox's heading",
  "[outbox]": "the outbox mail adapter's log line",
  "X-D1-Queries": "the bench's query-counter header",
  BENCH_COUNT_QUERIES: "the bench's query-counter switch",
};

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };
const bin = (name) => join(REPO, "node_modules", ".bin", name);

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The Remix build is part of both bundles; rebuild it when app/ changed since (npm test builds first). */
function ensureFreshBuild() {
  const server = join(REPO, "build", "server", "index.js");
  let builtAt = 0;
  try {
    builtAt = statSync(server).mtimeMs;
  } catch {}
  const sources = [...filesUnder(join(REPO, "app")), join(REPO, "vite.config.ts")];
  if (sources.every((file) => statSync(file).mtimeMs <= builtAt)) return;
  execFileSync(bin("remix"), ["vite:build", "--logLevel", "error"], { cwd: REPO, env, stdio: ["ignore", "ignore", "inherit"] });
}

/** `wrangler deploy --dry-run` of `entry` (wrangler.toml's main when absent): the code and esbuild's metafile. */
function bundle(outdir, entry) {
  execFileSync(
    bin("wrangler"),
    ["deploy", ...(entry ? [entry] : []), "--dry-run", "--minify", "--outdir", outdir, "--metafile", join(outdir, "meta.json")],
    { cwd: REPO, env, stdio: ["ignore", "ignore", "pipe"] },
  );
  const code = readFileSync(join(outdir, "worker.js"));
  const meta = JSON.parse(readFileSync(join(outdir, "meta.json"), "utf8"));
  return { code, text: code.toString("utf8"), modules: Object.keys(meta.inputs) };
}

const found = (text) => Object.keys(MARKERS).filter((marker) => text.includes(marker));

describe("the deployable bundle", () => {
  let dir;
  let deployed;
  let dev;

  before(() => {
    ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), "latchkey-bundle-"));
    deployed = bundle(join(dir, "deployed"));
    dev = bundle(join(dir, "dev"), DEV_ENTRY);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("holds no module from app/dev/", (t) => {
    assert.deepEqual(deployed.modules.filter((path) => path.startsWith("app/dev/")), []);
    t.diagnostic(`deployable bundle: ${(deployed.code.length / 1024).toFixed(1)} KiB raw, ${(gzipSync(deployed.code, { level: 9 }).length / 1024).toFixed(1)} KiB gzip (-9)`);
  });

  it("contains none of the dev tools' strings", () => {
    assert.deepEqual(
      found(deployed.text).map((marker) => `${marker} (${MARKERS[marker]})`),
      [],
    );
  });

  it("ships static assets that contain none of them either", () => {
    const client = join(REPO, "build", "client");
    const offending = filesUnder(client).flatMap((file) =>
      found(readFileSync(file, "latin1")).map((marker) => `${relative(client, file)}: ${marker}`),
    );
    assert.deepEqual(offending, []);
  });

  it("differs there from the dev entry's bundle, which has every dev module and every marker", () => {
    assert.ok(dev.modules.includes(DEV_ENTRY), `${DEV_ENTRY} is bundled`);
    assert.ok(dev.modules.filter((path) => path.startsWith("app/dev/")).length > 1);
    assert.deepEqual(found(dev.text), Object.keys(MARKERS));
  });
});
