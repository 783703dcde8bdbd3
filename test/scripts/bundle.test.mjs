// Dev-only code never ships (issue 11 item 5; LOG-2: sign-in links are never kept or shown outside this
// machine). The bundle `wrangler deploy` would upload, built offline with --dry-run and minified as
// wrangler.toml says, holds no module from app/dev/ and none of the dev tools' unmistakable strings, and
// neither do the static assets deployed next to it. The dev entry's bundle is held to the opposite, so a
// marker that stopped meaning anything fails here instead of passing quietly.
//
// The same build is held to the size budget (issue 15): at most BUDGET_KIB gzip, measured as `wrangler
// deploy` reports it ("Total Upload … gzip", zlib's default level). A size is deterministic, so this is
// not a timed test; BENCHMARKS.md says what weighs and what was cut. And it must start in workerd and
// render a page, which a Worker entry with a non-handler export does not.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { Miniflare } from "miniflare";
import { DEV_ENTRY } from "../../scripts/lib/entries.mjs";
import { readValue } from "../../scripts/lib/wrangler-toml.mjs";
import { REPO, shippedToml } from "./sandbox.mjs";

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

/** The deployable Worker's gzip budget, in KiB (1024 bytes). */
const BUDGET_KIB = 250;

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
    [
      "deploy",
      ...(entry ? [entry] : []),
      "--dry-run",
      "--minify",
      "--outdir",
      outdir,
      "--metafile",
      join(outdir, "meta.json"),
    ],
    { cwd: REPO, env, stdio: ["ignore", "ignore", "pipe"] },
  );
  const code = readFileSync(join(outdir, "worker.js"));
  const meta = JSON.parse(readFileSync(join(outdir, "meta.json"), "utf8"));
  return { code, text: code.toString("utf8"), modules: Object.keys(meta.inputs) };
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

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

  it("holds no module from app/dev/", () => {
    assert.deepEqual(deployed.modules.filter((path) => path.startsWith("app/dev/")), []);
  });

  it(`is at most ${BUDGET_KIB} KiB gzip`, (t) => {
    const gzip = gzipSync(deployed.code).length;
    t.diagnostic(`deployable bundle: ${kib(deployed.code.length)} raw, ${kib(gzip)} gzip (${kib(gzipSync(deployed.code, { level: 9 }).length)} at -9)`);
    assert.ok(
      gzip <= BUDGET_KIB * 1024,
      `the deployable Worker is ${kib(gzip)} gzip, over its ${BUDGET_KIB} KiB budget: find what grew with the metafile (wrangler deploy --dry-run --minify --outdir X --metafile X/meta.json) and see BENCHMARKS.md "Bundle"`,
    );
  });

  it("starts in workerd and renders a page", async () => {
    // In Miniflare (workerd), with wrangler.toml's compatibility settings: the vitest pool runs the source
    // through Vite, so only this sees what the aliases and the entry's exports do to the real bundle.
    const worker = new Miniflare({
      modules: [{ type: "ESModule", path: join(dir, "deployed", "worker.js") }],
      modulesRoot: join(dir, "deployed"),
      compatibilityDate: readValue(shippedToml(), { table: "" }, "compatibility_date"),
      compatibilityFlags: JSON.parse(readValue(shippedToml(), { table: "" }, "compatibility_flags")),
      d1Databases: ["DB"],
      kvNamespaces: ["RATE_LIMITS"],
      bindings: {
        APP_URL: "https://latchkey.test",
        EMAIL_PROVIDER: "resend",
        RESEND_API_KEY: "re_bundle_test",
        EMAIL_FROM: "Latchkey <login@latchkey.test>",
        SESSION_SECRET: "bundle-test-secret-0123456789abcdef0123",
        TOTP_ENCRYPTION_KEY: "bundle-test-totp-key-0123456789abcdef01",
      },
    });
    try {
      const health = await worker.dispatchFetch("https://latchkey.test/healthz");
      assert.deepEqual(await health.json(), { status: "ok", db: "ok" });
      const login = await worker.dispatchFetch("https://latchkey.test/login");
      assert.equal(login.status, 200);
      assert.match(await login.text(), /<h1[^>]*>Sign in to Latchkey<\/h1>/);
    } finally {
      await worker.dispose();
    }
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
