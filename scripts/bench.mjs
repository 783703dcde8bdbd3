// `npm run bench` (issue 15): everything BENCHMARKS.md reports, from one run on this machine.
//
//   1. The deployable bundle (wrangler.toml's main, minified as deployed): raw and gzip size, what weighs
//      per dependency (esbuild's metafile), and the sign-in page's client JS.
//   2. Startup CPU of that bundle: `wrangler check startup`, STARTUP_RUNS profiles, the median.
//   3. Five Workers under `wrangler dev` (the same workerd, local D1/KV) on loopback ports 8800–8804:
//      Latchkey (the dev entry: the deployed app plus the X-D1-Queries counter and the mailbox the bench
//      reads its sign-in link from), a constant-response floor, a D1 floor (one primary-key SELECT from
//      100,000 rows), Better Auth (get-session) and an OpenAuth issuer (code → token), the two peers.
//   4. Per route: D1 round trips and response bytes (one request), CPU per request (a V8 CPU profile
//      through the Worker's inspector over CPU_REQUESTS sequential requests, and the workerd process's
//      own CPU time over the same requests as an upper bound), then latency and throughput with
//      autocannon at 1 and 32 connections for DURATION_SECONDS each.
//   5. Ratios: D1 routes to the D1 floor, D1-free routes to the constant floor, peers to our route; the
//      goals of issue 15 with their measured values.
//
// Bounded: every load run has a fixed duration and the machine is shared (2 cores), so runs are short;
// the floors are measured first and again last, and ratios use their mean. All servers are stopped at
// the end. Writes bench-results.json (a partial run, BENCH_ROUTES, writes .wrangler/bench-results-partial.json).
// Needs Node's WebSocket: `npm run bench` passes --experimental-websocket (Node 20).
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { addClientSql } from "./lib/client-sql.mjs";
import { DEV_ENTRY } from "./lib/entries.mjs";

const ROOT = process.cwd();
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CPU_REQUESTS = Number(process.env.BENCH_CPU_REQUESTS ?? 200);
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
const CONCURRENCY = [1, 32];
/** V8's sampling interval for the per-request CPU profiles, in microseconds. */
const SAMPLING_US = 100;
const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const STATE = join(ROOT, ".wrangler/bench-state");
const PROFILES = join(ROOT, ".wrangler/bench-profiles");
// BENCH_ROUTES="token" (a regex over route names) measures only matching routes (and the floors), and
// starts a peer only if one of its routes matches.
const ONLY = process.env.BENCH_ROUTES ? new RegExp(process.env.BENCH_ROUTES, "i") : null;
const BASE_PORT = Number(process.env.BENCH_PORT ?? 8800);
const SERVERS = ["app", "floor", "d1Floor", "betterAuth", "openAuth"];
const PORTS = Object.fromEntries(SERVERS.map((name, i) => [name, BASE_PORT + i]));
const INSPECTOR = Object.fromEntries(SERVERS.map((name, i) => [name, BASE_PORT + 1000 + i]));
const origin = (server) => `http://127.0.0.1:${PORTS[server]}`;
const children = {};

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env, ...options }).toString();
}

const gzipSizes = (data) => ({ raw: data.length, gzip: gzipSync(data).length, gzip9: gzipSync(data, { level: 9 }).length });
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
};
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
const round = (value, digits = 2) => (value === null || value === undefined || Number.isNaN(value) ? null : Number(value.toFixed(digits)));

async function waitFor(url, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

function start(server, args, cwd = ROOT) {
  const child = spawn(WRANGLER, ["dev", "--ip", "127.0.0.1", "--port", String(PORTS[server]), "--inspector-port", String(INSPECTOR[server]), ...args], {
    cwd,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  child.on("exit", (code) => code && code !== 143 && console.error(`${server} exited ${code}: ${stderr}`));
  children[server] = child;
}

function stopAll() {
  for (const child of Object.values(children)) child.kill("SIGTERM");
}
process.on("exit", stopAll);
process.on("SIGINT", () => process.exit(130));

// ---------------------------------------------------------------------------------------- bundle
console.log("Building…");
run("npx", ["remix", "vite:build"]);
const bundleDir = join(ROOT, ".wrangler/bench-bundle");
rmSync(bundleDir, { recursive: true, force: true });
// The deployable Worker as `wrangler deploy` would upload it (wrangler.toml: main, minify), its esbuild
// metafile, and the upload itself (`--outfile`, the multipart body `wrangler check startup` reads).
run(WRANGLER, ["deploy", "--dry-run", "--outdir", bundleDir, "--metafile", join(bundleDir, "meta.json"), "--outfile", join(bundleDir, "upload.bundle")]);
const workerBundle = gzipSizes(readFileSync(join(bundleDir, "worker.js")));

/** Minified bytes per npm package (or app folder) in the bundle, from esbuild's metafile. */
function bundleByDependency() {
  const meta = JSON.parse(readFileSync(join(bundleDir, "meta.json"), "utf8"));
  const output = Object.values(meta.outputs).find((o) => o.entryPoint);
  const groups = {};
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const key = pkg ?? (path.startsWith("build/server") ? "build/server (routes, components)" : path.split("/").slice(0, 2).join("/"));
    groups[key] = (groups[key] ?? 0) + bytesInOutput;
  }
  return Object.entries(groups)
    .sort((a, b) => b[1] - a[1])
    .map(([name, bytes]) => ({ name, bytes }));
}
const dependencies = bundleByDependency();

// ---------------------------------------------------------------------------------------- startup
/**
 * CPU time in a V8 profile: the samples not in "(idle)", each counted for the time to the next sample,
 * capped at `capUs` so that a gap in sampling (the isolate left V8, e.g. to wait for I/O) isn't counted.
 */
function busyMicroseconds(profile, capUs) {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    if (idle.has(profile.samples[i])) continue;
    busy += Math.min(profile.timeDeltas[i + 1] ?? capUs / 2, capUs);
  }
  return busy;
}

/** Self time by package/folder of origin, through the bundle's source map. */
function startupBreakdown(profiles) {
  const map = new SourceMap(JSON.parse(readFileSync(join(bundleDir, "worker.js.map"), "utf8")));
  const totals = new Map();
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < profile.samples.length; i++) {
      const { callFrame } = byId.get(profile.samples[i]);
      let key = callFrame.url ? "workerd built-ins (node:*)" : callFrame.functionName;
      if (callFrame.url.endsWith("worker.js")) {
        if (callFrame.lineNumber < 0) key = "module top level (all modules' top-level statements)";
        else {
          const source = map.findEntry(callFrame.lineNumber, callFrame.columnNumber)?.originalSource ?? "";
          key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1] ?? /(app\/[^/]+|build\/server)/.exec(source)?.[1] ?? "worker.js (unmapped)";
        }
      }
      totals.set(key, (totals.get(key) ?? 0) + Math.min(profile.timeDeltas[i + 1] ?? 0, 4000));
    }
  }
  return [...totals]
    .filter(([key]) => key !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([source, us]) => ({ source, ms: round(us / 1000 / profiles.length, 1) }));
}

console.log(`Startup: wrangler check startup × ${STARTUP_RUNS}…`);
const startupProfiles = [];
for (let i = 0; i < STARTUP_RUNS; i++) {
  const file = join(bundleDir, `startup-${i}.cpuprofile`);
  run(WRANGLER, ["check", "startup", "--worker", join(bundleDir, "upload.bundle"), "--outfile", file]);
  startupProfiles.push(JSON.parse(readFileSync(file, "utf8")));
}
const startupRuns = startupProfiles.map((profile) => {
  const typical = median(profile.timeDeltas.slice(1)) ?? 1000;
  return round(busyMicroseconds(profile, 3 * typical) / 1000, 1);
});
// Contention on a shared machine only adds to a sampled profile (a sample that lands while the thread is
// descheduled counts as busy), so the minimum is the best single estimate; the median is the goal's value.
// A profile with no busy sample at all (it happens: the sampler missed the whole run) is no measurement.
const validStartupRuns = startupRuns.filter((ms) => ms > 0);
const startup = { medianMs: median(validStartupRuns), minMs: Math.min(...validStartupRuns), runsMs: startupRuns, breakdown: startupBreakdown(startupProfiles) };
console.log(`Startup CPU: median ${startup.medianMs} ms, min ${startup.minMs} ms (${startupRuns.join(", ")})`);

// ------------------------------------------------------------------------------------ state and servers
rmSync(STATE, { recursive: true, force: true });
mkdirSync(STATE, { recursive: true });
run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", STATE]);

function executeSql(name, statements, extra = []) {
  const file = join(STATE, `${name}.sql`);
  writeFileSync(file, statements.join("\n"));
  run(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", STATE, "--file", file, ...extra]);
}

const now = Date.now();
// 100,000 accounts with a session each, so Latchkey's session lookup reads an index as big as the D1
// floor's table (the bench's own session is one more).
executeSql("accounts", [
  `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
   INSERT INTO users (id, email, email_verified_at, created_at) SELECT 'usr_seed_' || i, 'seed' || i || '@example.com', ${now}, ${now} FROM n;`,
  `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
   INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, method, authenticated_at, ip, user_agent, country)
   SELECT printf('%064x', i * 2654435761), 'usr_seed_' || i, ${now}, ${now + 86_400_000}, ${now}, 'link', ${now}, '203.0.113.' || (i % 256),
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'DE' FROM n;`,
]);

// Tokens for POST /auth/verify: each link works once, so the runs need a fresh one per request.
const TOKEN_COUNT = 40_000;
const tokens = Array.from({ length: TOKEN_COUNT }, () => randomBytes(32).toString("base64url"));
{
  const rows = tokens.map(
    (t, i) => `('${createHash("sha256").update(t).digest("hex")}','bench${i % 500}@example.com','sign-in',${now},${now + 3_600_000})`,
  );
  const statements = [];
  for (let i = 0; i < rows.length; i += 500) {
    statements.push(`INSERT INTO verification_tokens (token_hash, email, purpose, created_at, expires_at) VALUES ${rows.slice(i, i + 500).join(",")};`);
  }
  executeSql("tokens", statements);
}

// Authorization codes for POST /oauth/token, likewise one per request: a public client, a user with a
// live session, and codes (one PKCE verifier for all) issued to them, valid for the whole run.
const CODE_COUNT = 20_000;
const benchClient = { id: "bench-rp", redirectUri: "https://bench-rp.example/callback" };
const codeVerifier = randomBytes(32).toString("base64url");
const codeChallenge = createHash("sha256").update(codeVerifier).digest("base64url");
const codes = Array.from({ length: CODE_COUNT }, () => randomBytes(32).toString("base64url"));
{
  const session = "bench-oidc-session";
  const statements = [
    addClientSql({ id: benchClient.id, name: "Bench RP", secretHash: null, redirectUris: [benchClient.redirectUri], firstParty: true, createdAt: now }),
    `INSERT INTO users (id, email, email_verified_at, created_at) VALUES ('usr_bench_oidc', 'bench-oidc@example.com', ${now}, ${now});`,
    `INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, method, authenticated_at) VALUES ('${session}', 'usr_bench_oidc', ${now}, ${now + 86_400_000}, ${now}, 'link', ${now});`,
  ];
  const rows = codes.map(
    (code, i) =>
      `('${createHash("sha256").update(code).digest("hex")}','grt_bench_${i}','${benchClient.id}','usr_bench_oidc','${session}','${benchClient.redirectUri}','openid email profile offline_access','n','${codeChallenge}',${now},'link',${now},${now + 3_600_000})`,
  );
  for (let i = 0; i < rows.length; i += 200) {
    statements.push(
      `INSERT INTO oauth_authorization_codes (id, grant_id, client_id, user_id, session_id, redirect_uri, scope, nonce, code_challenge, auth_time, method, created_at, expires_at) VALUES ${rows.slice(i, i + 200).join(",")};`,
    );
  }
  executeSql("codes", statements);
}

const lifted = [
  "LIMIT_IP_SENDS:100000000/60",
  "LIMIT_IP_VERIFY:100000000/60",
  "LIMIT_EMAIL_SEND_INTERVAL_SECONDS:1",
  "LIMIT_EMAIL_SENDS:100000000/60",
  "LIMIT_GLOBAL_SENDS:100000000/60",
  "BENCH_COUNT_QUERIES:true",
  "EMAIL_PROVIDER:outbox",
  "EMAIL_FROM:bench@localhost",
  `SESSION_SECRET:${randomBytes(32).toString("base64url")}`,
  `TOTP_ENCRYPTION_KEY:${randomBytes(32).toString("base64url")}`,
  `APP_URL:${origin("app")}`,
].flatMap((v) => ["--var", v]);
start("app", [DEV_ENTRY, "--persist-to", STATE, ...lifted]);
start("floor", ["--config", "test/bench/floor/wrangler.toml"]);

const d1FloorState = join(STATE, "d1-floor");
run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", d1FloorState, "--config", "test/bench/d1-floor/wrangler.toml"]);
start("d1Floor", ["--config", "test/bench/d1-floor/wrangler.toml", "--persist-to", d1FloorState]);

/**
 * Startup CPU of a Worker in `cwd` (its wrangler.toml), measured like ours: its upload bundle through
 * `wrangler check startup`, STARTUP_RUNS profiles. For context next to ours: peers without any UI.
 */
function startupOfPeer(cwd, name) {
  const dir = join(STATE, `${name}-bundle`);
  const upload = join(dir, "upload.bundle");
  run(WRANGLER, ["deploy", "--dry-run", "--outdir", dir, "--outfile", upload], { cwd });
  const runs = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const file = join(dir, `startup-${i}.cpuprofile`);
    run(WRANGLER, ["check", "startup", "--worker", upload, "--outfile", file], { cwd });
    const profile = JSON.parse(readFileSync(file, "utf8"));
    runs.push(round(busyMicroseconds(profile, 3 * (median(profile.timeDeltas.slice(1)) ?? 1000)) / 1000, 1));
  }
  const valid = runs.filter((ms) => ms > 0);
  return { name, medianMs: median(valid), minMs: Math.min(...valid), runsMs: runs, bundle: gzipSizes(readFileSync(join(dir, readdirSync(dir).find((f) => /\.m?js$/.test(f))))) };
}
const peerStartups = [];

/** A peer in test/bench/<dir> with its own package.json, installed on first use; null if unavailable. */
function startPeer(server, dir, setup) {
  const cwd = join(ROOT, "test/bench", dir);
  try {
    if (!existsSync(join(cwd, "node_modules"))) run("npm", ["ci", "--no-audit", "--no-fund"], { cwd });
    const state = join(STATE, dir);
    setup?.(cwd, state);
    try {
      peerStartups.push(startupOfPeer(cwd, dir));
    } catch (error) {
      console.error(`${dir}: no startup profile: ${error.message}`);
    }
    start(server, ["--persist-to", state], cwd);
    return origin(server);
  } catch (error) {
    console.error(`${dir} peer unavailable: ${error.message}`);
    return null;
  }
}
const wanted = (name) => !ONLY || ONLY.test(name);
const betterAuth = wanted("Better Auth GET /api/auth/get-session (peer)")
  ? startPeer("betterAuth", "better-auth", (cwd, state) => run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd }))
  : null;
const openAuth = wanted("OpenAuth POST /token (peer)") ? startPeer("openAuth", "openauth") : null;

const app = origin("app");
await Promise.all([
  waitFor(`${app}/healthz`),
  waitFor(origin("floor")),
  waitFor(origin("d1Floor")),
  betterAuth && waitFor(`${betterAuth}/api/auth/get-session`),
  openAuth && waitFor(`${openAuth}/.well-known/jwks.json`),
]);

// ------------------------------------------------------------------------------ sessions to measure
const form = { "Content-Type": "application/x-www-form-urlencoded", Origin: app };
await fetch(`${app}/login`, { method: "POST", headers: form, body: "email=bench-session%40example.com" });
const mails = await (await fetch(`${app}/dev/mailbox.json`)).json();
const link = mails.find((m) => m.to === "bench-session@example.com").text.match(/token=([A-Za-z0-9_-]+)/)[1];
const signedIn = await fetch(`${app}/auth/verify`, { method: "POST", headers: form, body: `token=${link}`, redirect: "manual" });
const cookie = signedIn.headers
  .getSetCookie()
  .map((c) => c.split(";")[0])
  .join("; ");

let betterAuthCookie = null;
if (betterAuth) {
  const signUp = await fetch(`${betterAuth}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: betterAuth },
    body: JSON.stringify({ email: "bench@example.com", password: "bench-password-123", name: "Bench" }),
  });
  betterAuthCookie = signUp.headers.get("set-cookie")?.split(";")[0] ?? null;
}

// The provider makes its signing keys on first use; make them now so the counts below are steady state.
await fetch(`${app}/.well-known/jwks.json`);

// Client JS shipped to the sign-in page: every module it loads or preloads.
const loginHtml = await (await fetch(`${app}/login`)).text();
const scripts = [...new Set([...loginHtml.matchAll(/(?:href|src|import) ?=? ?"(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]))];
const clientJs = scripts
  .map((path) => gzipSizes(readFileSync(join(ROOT, "build/client", path))))
  .reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }), { raw: 0, gzip: 0 });

// ---------------------------------------------------------------------------------------- targets
let emailCounter = 0;
let tokenCounter = 0;
let codeCounter = 0;
const tokenForm = (code) =>
  new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: benchClient.redirectUri, code_verifier: codeVerifier, client_id: benchClient.id }).toString();
const formHeaders = { "Content-Type": "application/x-www-form-urlencoded" };

let accessToken = null;
let openAuthCodes = [];
let openAuthCounter = 0;
/** OpenAuth keeps a code for 60 s: mint `count` fresh ones (real authorize flows, inside its isolate). */
async function mintOpenAuthCodes(count) {
  const params = new URLSearchParams({ count: String(count), client_id: benchClient.id, redirect_uri: benchClient.redirectUri, code_challenge: codeChallenge });
  const response = await fetch(`${openAuth}/bench/codes?${params}`, { method: "POST" });
  if (!response.ok) throw new Error(`OpenAuth minted no codes: ${response.status} ${await response.text()}`);
  openAuthCodes = await response.json();
  openAuthCounter = 0;
}

/**
 * `floor`: what a route is compared with ("constant" for D1-free routes, "d1" for routes that read or
 * write D1, "peer" for the peers, which are compared with our route in `versus`). `prepare(n)` runs
 * before a run of about n requests.
 */
const targets = [
  { name: "floor (constant response)", server: "floor", url: origin("floor"), isFloor: "constant" },
  { name: "D1 floor (1 primary-key SELECT of 100k rows)", server: "d1Floor", url: origin("d1Floor"), isFloor: "d1" },
  { name: "GET /healthz", server: "app", floor: "d1", url: `${app}/healthz` },
  { name: "GET /login", server: "app", floor: "constant", page: true, url: `${app}/login` },
  { name: "POST /login", server: "app", floor: "d1", url: `${app}/login`, method: "POST", headers: form, body: () => `email=load${emailCounter++}%40example.com` },
  { name: "POST /auth/verify", server: "app", floor: "d1", url: `${app}/auth/verify`, method: "POST", headers: form, body: () => `token=${tokens[tokenCounter++ % TOKEN_COUNT]}` },
  { name: "GET /dashboard (signed in)", server: "app", floor: "d1", page: true, url: `${app}/dashboard`, headers: { Cookie: cookie } },
  { name: "GET /account (signed in)", server: "app", floor: "d1", page: true, url: `${app}/account`, headers: { Cookie: cookie } },
  { name: "GET /api/session (signed in)", server: "app", floor: "d1", url: `${app}/api/session`, headers: { Cookie: cookie } },
  {
    // Token verification: an RFC 9068 access token (ES256) checked against the published keys, and its
    // grant read from D1 so revocation is immediate.
    name: "GET /oauth/userinfo (access token)",
    server: "app",
    floor: "d1",
    url: `${app}/oauth/userinfo`,
    headers: () => ({ Authorization: `Bearer ${accessToken}` }),
    prepare: async () => {
      const response = await fetch(`${app}/oauth/token`, { method: "POST", headers: formHeaders, body: tokenForm(codes[codeCounter++ % CODE_COUNT]) });
      accessToken = (await response.json()).access_token;
    },
  },
  {
    // A code redeemed for an ES256 ID token, access token and refresh token (a public client with PKCE).
    name: "POST /oauth/token (authorization code)",
    server: "app",
    floor: "d1",
    url: `${app}/oauth/token`,
    method: "POST",
    headers: formHeaders,
    body: () => tokenForm(codes[codeCounter++ % CODE_COUNT]),
  },
];
if (betterAuth && betterAuthCookie) {
  targets.push({
    name: "Better Auth GET /api/auth/get-session (peer)",
    server: "betterAuth",
    floor: "d1",
    versus: "GET /api/session (signed in)",
    url: `${betterAuth}/api/auth/get-session`,
    headers: { Cookie: betterAuthCookie },
  });
}
if (openAuth) {
  await mintOpenAuthCodes(5); // makes OpenAuth's signing and encryption keys before anything is measured
  targets.push({
    name: "OpenAuth POST /token (peer)",
    server: "openAuth",
    floor: "constant",
    versus: "POST /oauth/token (authorization code)",
    url: `${openAuth}/token`,
    method: "POST",
    headers: formHeaders,
    body: () => tokenForm(openAuthCodes[openAuthCounter++] ?? "spent"),
    prepare: (n) => mintOpenAuthCodes(n),
  });
}
targets.push(
  { name: "floor (constant response), again", server: "floor", url: origin("floor"), isFloor: "constant" },
  { name: "D1 floor, again", server: "d1Floor", url: origin("d1Floor"), isFloor: "d1" },
);

const headersOf = (target) => (typeof target.headers === "function" ? target.headers() : target.headers);
const request = (target) =>
  fetch(target.url, {
    method: target.method ?? "GET",
    headers: headersOf(target),
    body: typeof target.body === "function" ? target.body() : undefined,
    redirect: "manual",
    // A server that stops answering fails its target instead of hanging the run.
    signal: AbortSignal.timeout(30_000),
  });

/** D1 round trips (the dev entry's X-D1-Queries) and the response's size, raw and gzipped, from one request. */
async function sample(target) {
  const response = await request(target);
  const body = Buffer.from(await response.arrayBuffer());
  const queries = response.headers.get("x-d1-queries");
  return { status: response.status, d1Queries: queries === null ? null : Number(queries), bytes: body.length, bytesGzip: gzipSync(body).length };
}

// ------------------------------------------------------------------------------------ CPU per request
/** The pid of the workerd that runs a server's Worker (the one with the inspector), below its wrangler. */
function runtimePid(server) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const descendants = [children[server].pid];
  for (let i = 0; i < descendants.length; i++) {
    for (const [pid, parent] of parents) if (parent === descendants[i]) descendants.push(pid);
  }
  return descendants.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr");
    } catch {
      return false;
    }
  });
}

const CLOCK_TICKS_PER_SECOND = Number(run("getconf", ["CLK_TCK"]).trim());

/** A process's user + system CPU time so far, in milliseconds. */
function processCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** A Chrome DevTools Protocol session with a server's Worker, through wrangler's inspector proxy. */
async function inspect(server) {
  const socket = new WebSocket(`ws://127.0.0.1:${INSPECTOR[server]}/ws`, { headers: { Origin: "http://localhost" } });
  const pending = new Map();
  let id = 0;
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  };
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`inspector of ${server}: no connection in 30 s`)), 30_000);
    socket.onopen = () => resolve(clearTimeout(timer));
    socket.onerror = () => reject(new Error(`inspector of ${server} unreachable`));
  });
  return {
    // A Worker reloaded by wrangler (e.g. a source file changed mid-run) never answers: fail, don't hang.
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`inspector of ${server}: no answer to ${method} in 60 s`)), 60_000);
        pending.set(++id, (message) => {
          clearTimeout(timer);
          resolve(message);
        });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/**
 * CPU per request, two ways, over CPU_REQUESTS sequential requests:
 * - `isolateMs`: a V8 CPU profile of the Worker's isolate (sampled every SAMPLING_US µs): the samples
 *   outside "(idle)", i.e. our JavaScript, the runtime's work on the isolate's thread (e.g. WebCrypto,
 *   parsing) and garbage collection. This is what the Workers CPU limit counts. Waiting for D1 or KV is
 *   idle. On a busy machine a sample can land while the thread is descheduled, so it errs high.
 * - `processMs`: the whole workerd process's CPU time (/proc), an upper bound: it also holds the local
 *   D1/KV simulators (SQLite), the HTTP stack and the inspector, none of which Cloudflare bills.
 */
async function cpuPerRequest(target) {
  const inspector = await inspect(target.server);
  try {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: SAMPLING_US });
    for (let i = 0; i < 10; i++) await (await request(target)).arrayBuffer();
    const pid = runtimePid(target.server);
    const before = pid ? processCpuMs(pid) : null;
    await inspector.send("Profiler.start");
    const startedAt = performance.now();
    for (let i = 0; i < CPU_REQUESTS; i++) await (await request(target)).arrayBuffer();
    const seconds = (performance.now() - startedAt) / 1000;
    const { result } = await inspector.send("Profiler.stop");
    const after = pid ? processCpuMs(pid) : null;
    // The profiles, for a look in Chrome DevTools (Performance → load profile): where a route's CPU goes.
    mkdirSync(PROFILES, { recursive: true });
    writeFileSync(join(PROFILES, `${target.name.replace(/[^A-Za-z0-9]+/g, "-")}.cpuprofile`), JSON.stringify(result.profile));
    return {
      sequentialRequestsPerSecond: Math.round(CPU_REQUESTS / seconds),
      isolateMs: round(busyMicroseconds(result.profile, 2 * SAMPLING_US) / 1000 / CPU_REQUESTS, 3),
      processMs: before === null ? null : round((after - before) / CPU_REQUESTS, 2),
    };
  } finally {
    // A profiler left enabled keeps recording code events in the isolate for the rest of the run.
    await inspector.send("Profiler.disable").catch(() => {});
    inspector.close();
  }
}

// ---------------------------------------------------------------------------------------- load runs
function load(target, connections) {
  const latencies = [];
  let statusErrors = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections,
        duration: DURATION_SECONDS,
        requests: [
          {
            method: target.method ?? "GET",
            headers: headersOf(target),
            setupRequest: (req) => (typeof target.body === "function" ? { ...req, body: target.body() } : req),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ result, latencies: latencies.sort((a, b) => a - b), statusErrors })),
    );
    // autocannon's own histogram keeps whole milliseconds of 2xx responses only; keep every response's
    // time (3xx redirects included) at full resolution instead.
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (statusCode >= 400) statusErrors++;
    });
  });
}

/** One load run's summary. */
async function measureLoad(target, connections) {
  const { result, latencies, statusErrors } = await load(target, connections);
  return {
    connections,
    requestsPerSecond: Math.round(result.requests.average),
    requests: latencies.length,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    errors: result.errors + result.timeouts + statusErrors,
  };
}

const results = [];
const measured = targets.filter((t) => t.isFloor || wanted(t.name));
const failures = [];
for (const target of measured) {
  try {
    await measureTarget(target);
  } catch (error) {
    // Reported, not fatal: the rest of the run still says something (and the report lists what failed).
    console.error(`${target.name}: not measured: ${error.message}`);
    failures.push({ route: target.name, error: error.message });
  }
}

async function measureTarget(target) {
  await target.prepare?.(CPU_REQUESTS + 30);
  const first = await sample(target);
  const cpu = await cpuPerRequest(target);
  const row = { route: target.name, server: target.server, floor: target.floor ?? null, isFloor: target.isFloor ?? null, versus: target.versus ?? null, page: !!target.page, ...first, cpu, runs: [] };
  let rate = cpu.sequentialRequestsPerSecond;
  for (const connections of CONCURRENCY) {
    // Fresh single-use values (OpenAuth's codes) for this run: three times what the last run's rate needs.
    await target.prepare?.(Math.max(500, Math.ceil(3 * rate * DURATION_SECONDS)));
    // Paired runs: the machine's load drifts over a run of several minutes, so each ratio compares runs
    // made back to back: the route's floor right before the route, and our route right before its peer.
    const floorTarget = !target.isFloor && target.floor && targets.find((t) => t.isFloor === target.floor);
    const pairedFloor = floorTarget ? await measureLoad(floorTarget, connections) : null;
    const oursTarget = target.versus && targets.find((t) => t.name === target.versus);
    const pairedOurs = oursTarget ? await measureLoad(oursTarget, connections) : null;
    const run = { ...(await measureLoad(target, connections)), pairedFloor, pairedOurs };
    row.runs.push(run);
    rate = Math.max(rate, run.requestsPerSecond);
    console.log(`${target.name} @${connections}: ${run.requestsPerSecond} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, errors ${run.errors}`);
  }
  console.log(`  CPU/request: isolate ${cpu.isolateMs} ms, workerd process ${cpu.processMs} ms; D1 ${first.d1Queries ?? "–"}; ${first.bytes} B (${first.bytesGzip} gzip)`);
  results.push(row);
  // What is measured so far, in case a later target brings a server down.
  writeFileSync(join(ROOT, ".wrangler/bench-results-progress.json"), JSON.stringify({ workerBundle, startup, results }, null, 2));
}

// ------------------------------------------------------------------------------------------ report
/** The floors' mean over their two runs (first and last), per concurrency. */
function floorStats(kind) {
  const runs = results.filter((r) => r.isFloor === kind).flatMap((r) => r.runs);
  return Object.fromEntries(
    CONCURRENCY.map((c) => {
      const at = runs.filter((r) => r.connections === c);
      const mean = (key) => at.reduce((sum, r) => sum + r[key], 0) / at.length;
      return [c, { p50Ms: mean("p50Ms"), requestsPerSecond: mean("requestsPerSecond") }];
    }),
  );
}
const floors = { constant: floorStats("constant"), d1: floorStats("d1") };
const byName = Object.fromEntries(results.map((r) => [r.route, r]));
const runAt = (route, connections) => byName[route]?.runs.find((r) => r.connections === connections);

for (const row of results) {
  for (const r of row.runs) {
    // Against the floor run right before this one (and, for the record, against the floors' mean).
    const floor = r.pairedFloor;
    r.p50VsFloor = floor ? round(r.p50Ms / floor.p50Ms) : null;
    r.rpsVsFloor = floor ? round(r.requestsPerSecond / floor.requestsPerSecond) : null;
    const mean = row.floor && floors[row.floor][r.connections];
    r.rpsVsFloorMean = mean ? round(r.requestsPerSecond / mean.requestsPerSecond) : null;
    const ours = r.pairedOurs;
    r.oursVsPeer = ours ? round(ours.requestsPerSecond / r.requestsPerSecond) : null;
  }
}

const value = (route, c, key) => runAt(route, c)?.[key] ?? null;
const cpuOf = (route) => byName[route]?.cpu.isolateMs ?? null;
const goals = [
  { goal: "/api/session p50 ≤ 1.2× the D1 floor at 1 connection", measured: value("GET /api/session (signed in)", 1, "p50VsFloor"), met: (v) => v <= 1.2 },
  { goal: "/api/session throughput ≥ 0.8× the D1 floor at 32 connections", measured: value("GET /api/session (signed in)", 32, "rpsVsFloor"), met: (v) => v >= 0.8 },
  ...CONCURRENCY.map((c) => ({
    goal: `/api/session throughput ≥ 1.5× Better Auth get-session (${c} conn)`,
    measured: value("Better Auth GET /api/auth/get-session (peer)", c, "oursVsPeer"),
    met: (v) => v >= 1.5,
  })),
  ...CONCURRENCY.map((c) => ({
    goal: `token endpoint throughput ≥ 1.5× OpenAuth (${c} conn)`,
    measured: value("OpenAuth POST /token (peer)", c, "oursVsPeer"),
    met: (v) => v >= 1.5,
  })),
  { goal: "CPU ≤ 2 ms: GET /api/session", measured: cpuOf("GET /api/session (signed in)"), met: (v) => v <= 2 },
  { goal: "CPU ≤ 2 ms: token verification (GET /oauth/userinfo)", measured: cpuOf("GET /oauth/userinfo (access token)"), met: (v) => v <= 2 },
  ...results.filter((r) => r.page).map((r) => ({ goal: `CPU ≤ 5 ms: ${r.route}`, measured: r.cpu.isolateMs, met: (v) => v <= 5 })),
  { goal: "startup CPU ≤ 30 ms (median of the profiles)", measured: startup.medianMs, met: (v) => v <= 30 },
  { goal: "deployable bundle ≤ 250 KiB gzip", measured: round(workerBundle.gzip / 1024, 1), met: (v) => v <= 250 },
].map((g) => ({ goal: g.goal, measured: g.measured, met: g.measured === null ? null : g.met(g.measured) }));

const cell = (v) => (v === null || v === undefined ? "–" : v);
const lines = [
  `Bundle: ${kib(workerBundle.raw)} raw, ${kib(workerBundle.gzip)} gzip (${kib(workerBundle.gzip9)} at -9). Startup CPU: median ${startup.medianMs} ms, min ${startup.minMs} ms, of ${startupRuns.join(", ")}. Sign-in page client JS: ${kib(clientJs.raw)} raw / ${kib(clientJs.gzip)} gzip (${scripts.length} files).`,
  "",
  "| dependency | minified |",
  "| --- | ---: |",
  ...dependencies.slice(0, 15).map((d) => `| ${d.name} | ${kib(d.bytes)} |`),
  "",
  "| route | conns | req/s | p50 ms | p99 ms | p50 ÷ floor | req/s ÷ floor | ours ÷ peer | errors | D1 | bytes (gzip) | CPU ms isolate / process |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...results.flatMap((row) =>
    row.runs.map(
      (r) =>
        `| ${row.route}${row.floor ? ` [${row.floor}]` : ""} | ${r.connections} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${cell(r.p50VsFloor)} | ${cell(r.rpsVsFloor)}${r.pairedFloor ? ` (floor ${r.pairedFloor.requestsPerSecond})` : ""} | ${cell(r.oursVsPeer)}${r.pairedOurs ? ` (ours ${r.pairedOurs.requestsPerSecond})` : ""} | ${r.errors} | ${cell(row.d1Queries)} | ${row.bytes} (${row.bytesGzip}) | ${row.cpu.isolateMs} / ${cell(row.cpu.processMs)} |`,
    ),
  ),
  "",
  "| goal | measured | met |",
  "| --- | ---: | --- |",
  ...goals.map((g) => `| ${g.goal} | ${cell(g.measured)} | ${g.met === null ? "–" : g.met ? "yes" : "**no**"} |`),
  "",
  "Startup CPU by origin (ms, mean of the profiles): " + startup.breakdown.map((b) => `${b.source} ${b.ms}`).join("; "),
  "",
  ...(failures.length ? ["", "Not measured: " + failures.map((f) => `${f.route} (${f.error})`).join("; ")] : []),
  "",
  "Peers' startup CPU, same method: " +
    peerStartups.map((p) => `${p.name} median ${p.medianMs} ms, min ${p.minMs} ms (${kib(p.bundle.gzip)} gzip)`).join("; "),
];
console.log(`\n${lines.join("\n")}\n`);
const resultsFile = ONLY ? join(ROOT, ".wrangler/bench-results-partial.json") : join(ROOT, "bench-results.json");
writeFileSync(
  resultsFile,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      durationSeconds: DURATION_SECONDS,
      cpuRequests: CPU_REQUESTS,
      node: process.version,
      load: readFileSync("/proc/loadavg", "utf8").trim(),
      workerBundle,
      dependencies,
      startup,
      peerStartups,
      clientJs,
      floors,
      goals,
      results,
      failures,
    },
    null,
    2,
  ),
);
writeFileSync(join(ROOT, ".wrangler/bench-report.md"), `${lines.join("\n")}\n`);
console.log(`Wrote ${resultsFile} and .wrangler/bench-report.md`);
stopAll();
process.exit(0);
