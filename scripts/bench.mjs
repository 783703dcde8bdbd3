// `npm run bench`: bundle sizes, then latency/throughput per route against the production build under
// `wrangler dev` (workerd, local D1/KV), next to a constant-response floor Worker and a Better Auth peer,
// all started by this script on loopback ports. Prints a Markdown table and writes bench-results.json.
// The bundle measured is the deployable one (wrangler.toml's main); the server runs the dev entry,
// which adds the X-D1-Queries counter and the mailbox the bench reads its sign-in link from.
// Bounded: every load run has a fixed duration; all servers are stopped at the end.
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { addClientSql } from "./lib/client-sql.mjs";
import { DEV_ENTRY } from "./lib/entries.mjs";

const ROOT = process.cwd();
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = [1, 32];
const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const STATE = join(ROOT, ".wrangler/bench-state");
// BENCH_ROUTES="token" (a regex over route names) measures only matching routes, and starts the floor
// and the Better Auth peer only if one of theirs matches; BENCH_APP_PORT moves the Latchkey Worker.
const ONLY = process.env.BENCH_ROUTES ? new RegExp(process.env.BENCH_ROUTES, "i") : null;
const PORTS = { app: Number(process.env.BENCH_APP_PORT ?? 8791), floor: 8792, peer: 8793 };
// Each wrangler dev also opens an inspector port; give each its own.
const INSPECTOR = { app: PORTS.app + 500, floor: 9292, peer: 9293 };
const wanted = (name) => !ONLY || ONLY.test(name);
const children = [];

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env, ...options }).toString();
}

function sizes(file) {
  const data = readFileSync(file);
  return { raw: data.length, gzip: gzipSync(data, { level: 9 }).length };
}

const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

async function waitFor(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

function start(name, args, cwd = ROOT) {
  const child = spawn(WRANGLER, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  child.on("exit", (code) => code && code !== 143 && console.error(`${name} exited ${code}: ${stderr}`));
  children.push(child);
  return child;
}

function stopAll() {
  for (const child of children) child.kill("SIGTERM");
}
process.on("exit", stopAll);
process.on("SIGINT", () => process.exit(130));

// ---------------------------------------------------------------------------------------- bundles
console.log("Building…");
run("npx", ["remix", "vite:build"]);
const bundleDir = join(ROOT, ".wrangler/bench-bundle");
rmSync(bundleDir, { recursive: true, force: true });
run(WRANGLER, ["deploy", "--dry-run", "--minify", "--outdir", bundleDir]);
const workerBundle = sizes(join(bundleDir, "worker.js"));

// ------------------------------------------------------------------------------------ start servers
rmSync(STATE, { recursive: true, force: true });
mkdirSync(STATE, { recursive: true });
run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", STATE]);

// Tokens for POST /auth/verify, inserted straight into the local D1 before the Worker starts: each
// link works once, so the load run needs a fresh one per request.
const TOKEN_COUNT = 40_000;
const tokens = Array.from({ length: TOKEN_COUNT }, () => randomBytes(32).toString("base64url"));
const now = Date.now();
const rows = tokens.map(
  (t, i) =>
    `('${createHash("sha256").update(t).digest("hex")}','bench${i % 500}@example.com','sign-in',${now},${now + 3_600_000})`,
);
const sqlFile = join(STATE, "tokens.sql");
const chunks = [];
for (let i = 0; i < rows.length; i += 500) {
  chunks.push(`INSERT INTO verification_tokens (token_hash, email, purpose, created_at, expires_at) VALUES ${rows.slice(i, i + 500).join(",")};`);
}
writeFileSync(sqlFile, chunks.join("\n"));
run(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", STATE, "--file", sqlFile]);

// Authorization codes for POST /oauth/token, likewise one per request: a public client, a user with a
// live session, and codes (one PKCE verifier for all) issued to them, valid for the whole run.
const CODE_COUNT = 20_000;
const benchClient = { id: "bench-rp", redirectUri: "https://bench-rp.example/callback" };
const codeVerifier = randomBytes(32).toString("base64url");
const codeChallenge = createHash("sha256").update(codeVerifier).digest("base64url");
const codes = Array.from({ length: CODE_COUNT }, () => randomBytes(32).toString("base64url"));
{
  const session = "bench-oidc-session";
  const setup = [
    addClientSql({ id: benchClient.id, name: "Bench RP", secretHash: null, redirectUris: [benchClient.redirectUri], firstParty: true, createdAt: now }),
    `INSERT INTO users (id, email, email_verified_at, created_at) VALUES ('usr_bench_oidc', 'bench-oidc@example.com', ${now}, ${now});`,
    `INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, method, authenticated_at) VALUES ('${session}', 'usr_bench_oidc', ${now}, ${now + 86_400_000}, ${now}, 'link', ${now});`,
  ];
  const codeRows = codes.map(
    (code, i) =>
      `('${createHash("sha256").update(code).digest("hex")}','grt_bench_${i}','${benchClient.id}','usr_bench_oidc','${session}','${benchClient.redirectUri}','openid email profile offline_access','n','${codeChallenge}',${now},'link',${now},${now + 3_600_000})`,
  );
  for (let i = 0; i < codeRows.length; i += 200) {
    setup.push(
      `INSERT INTO oauth_authorization_codes (id, grant_id, client_id, user_id, session_id, redirect_uri, scope, nonce, code_challenge, auth_time, method, created_at, expires_at) VALUES ${codeRows.slice(i, i + 200).join(",")};`,
    );
  }
  const codesFile = join(STATE, "codes.sql");
  writeFileSync(codesFile, setup.join("\n"));
  run(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", STATE, "--file", codesFile]);
}

const lifted = [
  "LIMIT_IP_SENDS:100000000/60",
  "LIMIT_IP_VERIFY:100000000/60",
  "LIMIT_EMAIL_SEND_INTERVAL_SECONDS:1",
  "LIMIT_EMAIL_SENDS:100000000/60",
  "BENCH_COUNT_QUERIES:true",
  "EMAIL_PROVIDER:outbox",
  "EMAIL_FROM:bench@localhost",
  `SESSION_SECRET:${randomBytes(32).toString("base64url")}`,
  `TOTP_ENCRYPTION_KEY:${randomBytes(32).toString("base64url")}`,
  `APP_URL:http://localhost:${PORTS.app}`,
].flatMap((v) => ["--var", v]);
start("latchkey", ["dev", DEV_ENTRY, "--port", String(PORTS.app), "--inspector-port", String(INSPECTOR.app), "--persist-to", STATE, ...lifted]);
const withFloor = wanted("floor (constant response)");
if (withFloor) start("floor", ["dev", "--port", String(PORTS.floor), "--inspector-port", String(INSPECTOR.floor), "--config", "test/bench/floor/wrangler.toml"]);

let peer = null;
const peerDir = join(ROOT, "test/bench/better-auth");
if (wanted("Better Auth GET /api/auth/get-session (peer)")) try {
  if (!existsSync(join(peerDir, "node_modules/better-auth"))) run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: peerDir });
  const peerState = join(STATE, "better-auth");
  run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", peerState], { cwd: peerDir });
  start("better-auth", ["dev", "--port", String(PORTS.peer), "--inspector-port", String(INSPECTOR.peer), "--persist-to", peerState], peerDir);
  peer = `http://localhost:${PORTS.peer}`;
} catch (error) {
  console.error(`Better Auth peer unavailable: ${error.message}`);
}

const app = `http://localhost:${PORTS.app}`;
const floor = `http://localhost:${PORTS.floor}`;
await Promise.all([waitFor(`${app}/healthz`), withFloor && waitFor(floor), peer && waitFor(`${peer}/api/auth/get-session`)]);

// ------------------------------------------------------------------------------ sessions to measure
const form = { "Content-Type": "application/x-www-form-urlencoded", Origin: app };
await fetch(`${app}/login`, { method: "POST", headers: form, body: "email=bench-session%40example.com" });
const mails = await (await fetch(`${app}/dev/mailbox.json`)).json();
const link = mails.find((m) => m.to === "bench-session@example.com").text.match(/token=([A-Za-z0-9_-]+)/)[1];
const signedIn = await fetch(`${app}/auth/verify`, { method: "POST", headers: form, body: `token=${link}`, redirect: "manual" });
const cookie = signedIn.headers.get("set-cookie").split(";")[0];

let peerCookie = null;
if (peer) {
  const signUp = await fetch(`${peer}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: peer },
    body: JSON.stringify({ email: "bench@example.com", password: "bench-password-123", name: "Bench" }),
  });
  peerCookie = signUp.headers.get("set-cookie")?.split(";")[0] ?? null;
}

// The provider makes its signing keys on first use; make them now so the counts below are steady state.
await fetch(`${app}/.well-known/jwks.json`);

// Client JS shipped to the sign-in page: every module it loads or preloads.
const loginHtml = await (await fetch(`${app}/login`)).text();
const scripts = [...new Set([...loginHtml.matchAll(/(?:href|src|import) ?=? ?"(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]))];
const clientJs = scripts
  .map((path) => sizes(join(ROOT, "build/client", path)))
  .reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }), { raw: 0, gzip: 0 });

// ---------------------------------------------------------------------------------------- load runs
let emailCounter = 0;
let tokenCounter = 0;
let codeCounter = 0;
const targets = [
  { name: "floor (constant response)", url: floor },
  { name: "GET /healthz", url: `${app}/healthz` },
  { name: "GET /login", url: `${app}/login` },
  {
    name: "POST /login",
    url: `${app}/login`,
    method: "POST",
    headers: form,
    body: () => `email=load${emailCounter++}%40example.com`,
  },
  {
    name: "POST /auth/verify",
    url: `${app}/auth/verify`,
    method: "POST",
    headers: form,
    body: () => `token=${tokens[tokenCounter++ % TOKEN_COUNT]}`,
  },
  { name: "GET /dashboard (signed in)", url: `${app}/dashboard`, headers: { Cookie: cookie } },
  { name: "GET /account (signed in)", url: `${app}/account`, headers: { Cookie: cookie } },
  { name: "GET /api/session (signed in)", url: `${app}/api/session`, headers: { Cookie: cookie } },
  {
    // A code redeemed for an ES256 ID token, access token and refresh token (a public client with PKCE).
    name: "POST /oauth/token (authorization code)",
    url: `${app}/oauth/token`,
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: () =>
      new URLSearchParams({
        grant_type: "authorization_code",
        code: codes[codeCounter++ % CODE_COUNT],
        redirect_uri: benchClient.redirectUri,
        code_verifier: codeVerifier,
        client_id: benchClient.id,
      }).toString(),
  },
];
if (peer && peerCookie) {
  targets.push({ name: "Better Auth GET /api/auth/get-session (peer)", url: `${peer}/api/auth/get-session`, headers: { Cookie: peerCookie } });
}

async function d1Queries(target) {
  if (!target.url.startsWith(app)) return null;
  const response = await fetch(target.url, {
    method: target.method ?? "GET",
    headers: target.headers,
    body: typeof target.body === "function" ? target.body() : undefined,
    redirect: "manual",
  });
  await response.arrayBuffer();
  return Number(response.headers.get("x-d1-queries"));
}

function load(target, connections) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections,
        duration: DURATION_SECONDS,
        requests: [
          {
            method: target.method ?? "GET",
            headers: target.headers,
            setupRequest: (request) => (typeof target.body === "function" ? { ...request, body: target.body() } : request),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

const results = [];
for (const target of targets.filter((t) => wanted(t.name))) {
  const queries = await d1Queries(target);
  for (const connections of CONCURRENCY) {
    const r = await load(target, connections);
    results.push({
      route: target.name,
      connections,
      requestsPerSecond: Math.round(r.requests.average),
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      requests: r.requests.total,
      errors: r.errors + r.timeouts + (r["5xx"] ?? 0) + (r["4xx"] ?? 0),
      d1Queries: queries,
    });
    console.log(`${target.name} @${connections}: ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, 4xx ${r["4xx"]}, 5xx ${r["5xx"]}, errors ${r.errors}`);
  }
}

// ------------------------------------------------------------------------------------------ report
const floorP50 = Object.fromEntries(results.filter((r) => r.route.startsWith("floor")).map((r) => [r.connections, r.p50Ms]));
const floorRps = Object.fromEntries(results.filter((r) => r.route.startsWith("floor")).map((r) => [r.connections, r.requestsPerSecond]));
const lines = [
  `Bundle: Worker ${kib(workerBundle.raw)} raw / ${kib(workerBundle.gzip)} gzip (wrangler --dry-run --minify); sign-in page client JS ${kib(clientJs.raw)} raw / ${kib(clientJs.gzip)} gzip (${scripts.length} files).`,
  "",
  "| route | conns | req/s | p50 ms | p99 ms | p50 ÷ floor | req/s ÷ floor | errors | D1 round trips |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...results.map((r) =>
    [
      r.route,
      r.connections,
      r.requestsPerSecond,
      r.p50Ms,
      r.p99Ms,
      floorP50[r.connections] === undefined ? "–" : (r.p50Ms / Math.max(floorP50[r.connections], 1)).toFixed(1),
      floorRps[r.connections] === undefined ? "–" : (r.requestsPerSecond / floorRps[r.connections]).toFixed(2),
      r.errors,
      r.d1Queries ?? "–",
    ].join(" | ").replace(/^/, "| ").concat(" |"),
  ),
];
console.log(`\n${lines.join("\n")}\n`);
// A partial run (BENCH_ROUTES) never overwrites the full results.
const resultsFile = ONLY ? join(ROOT, ".wrangler/bench-results-partial.json") : join(ROOT, "bench-results.json");
writeFileSync(
  resultsFile,
  JSON.stringify({ date: new Date().toISOString(), durationSeconds: DURATION_SECONDS, node: process.version, workerBundle, clientJs, results }, null, 2),
);
console.log(`Wrote ${resultsFile}`);
stopAll();
process.exit(0);
