// `npm run soak`: drives the production build under `wrangler dev` with seeded, hostile-but-plausible
// traffic mixed with real sign-ins, and fails on anything a client must never see: a 5xx, wrangler's
// "Your worker restarted mid-request" 503, a dropped connection or timeout, a stack trace in a body, or
// an error-level log line. It also reports p50/p99, the memory of the Worker's workerd process and of
// our isolate's JS heap at start and end, and what the run wrote to the logs. See docs/decisions/006.
//
//   npm run soak -- [--seed 1] [--seconds 60 | --requests 10000] [--concurrency 16] [--port 8797]
//                   [--rebuild] [--keep] [--json FILE] [--snapshots DIR] [--no-heap] [--direct] [--asset-bodies]
//
// Bounded: the load stops at --requests or --seconds (default 60 s), every request has a timeout, every
// wait has a deadline, a watchdog ends the run if anything hangs, and every request goes to 127.0.0.1.
import { DEV_ENTRY } from "./lib/entries.mjs";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { Agent, request as httpRequest } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

// The inspector (heap measurements) needs WebSocket, which Node 20 has only behind a flag.
if (typeof WebSocket === "undefined") {
  const again = spawnSync(
    process.execPath,
    ["--experimental-websocket", "--disable-warning=ExperimentalWarning", ...process.argv.slice(1)],
    { stdio: "inherit" },
  );
  process.exit(again.status ?? 1);
}

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    requests: { type: "string" },
    seconds: { type: "string" },
    concurrency: { type: "string", default: "16" },
    port: { type: "string", default: "8797" },
    rebuild: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "no-heap": { type: "boolean", default: false },
    json: { type: "string" },
    snapshots: { type: "string" }, // a directory: keep the start and end heap snapshots there
    // Diagnosis: bypass wrangler's dev proxy and talk to the Worker's own workerd socket, naming the
    // request before a dropped connection (the proxy turns those into "restarted" 503s for someone else).
    direct: { type: "boolean", default: false },
    // Also send chunked bodies and bodies over 64 KiB to static files, which wrangler dev's assets layer
    // answers (405) before the Worker runs and without reading the body; that can drop the connection
    // (decision 006), so it is off by default: it tests wrangler, not Latchkey.
    "asset-bodies": { type: "boolean", default: false },
  },
});

const SEED = Number(args.seed);
const CONCURRENCY = Number(args.concurrency);
const PORT = Number(args.port);
const INSPECTOR_PORT = PORT + 1000;
const MAX_REQUESTS = args.requests ? Number(args.requests) : Number.POSITIVE_INFINITY;
// With --requests alone, time is still bounded: two hours is far more than 100k requests need (~20 min).
const SECONDS = args.seconds ? Number(args.seconds) : args.requests ? 7200 : 60;
const REQUEST_TIMEOUT_MS = 30_000;
const BASE = `http://127.0.0.1:${PORT}`;
/** Where requests go: BASE, or with --direct the Worker's own socket (set once it is found). */
let target = BASE;
const ROOT = process.cwd();
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
for (const [name, value] of Object.entries({ seed: SEED, concurrency: CONCURRENCY, port: PORT, seconds: SECONDS, requests: args.requests ? MAX_REQUESTS : 1 })) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number`);
}
if (PORT === 8787) throw new Error("--port 8787 is the default dev port; give the soak its own.");

const work = mkdtempSync(join(tmpdir(), "latchkey-soak-"));
const env = {
  ...process.env,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  // wrangler's debug log (normally ~/.config/.wrangler/logs) goes where this run can count and delete it.
  WRANGLER_LOG_PATH: join(work, "wrangler-debug.log"),
};

let wrangler = null;
let finished = false;
function cleanUp() {
  if (wrangler && wrangler.exitCode === null) {
    try {
      process.kill(-wrangler.pid, "SIGTERM"); // its own process group: wrangler, its node child, both workerds
    } catch {}
  }
  if (!args.keep) rmSync(work, { recursive: true, force: true });
}
process.on("exit", cleanUp);
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));
// Watchdog: whatever hangs, the run ends.
setTimeout(() => {
  console.error(`soak: watchdog fired after ${SECONDS + 300} s; stopping.`);
  process.exit(2);
}, (SECONDS + 300) * 1000).unref();

// ------------------------------------------------------------------------------------------- seeded random
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** Request n's generator depends only on the seed and n, not on timing: a report names a reproducible request. */
const rngFor = (n) => mulberry32(createHash("sha256").update(`${SEED}:${n}`).digest().readUInt32LE(0));
const pick = (rng, items) => items[Math.floor(rng() * items.length)];
function weighted(rng, table) {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let x = rng() * total;
  for (const [value, w] of table) if ((x -= w) < 0) return value;
  return table[table.length - 1][0];
}
const chance = (rng, p) => rng() < p;
const randomToken = (rng, length = 43) =>
  Array.from({ length }, () => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[Math.floor(rng() * 64)]).join("");

// ----------------------------------------------------------------------------------------------- the traffic
const PATHS = [
  "/", "/login", "/auth/verify", "/auth/code", "/auth/2fa", "/auth/github", "/auth/github/callback", "/auth/not-me",
  "/dashboard", "/account", "/account/2fa", "/account/confirm", "/account/delete", "/account/recovery-codes",
  "/logout", "/goodbye", "/dev/mailbox", "/dev/mailbox.json", "/healthz", "/api/session", "/api/nope",
  "/dev/github/login/oauth/authorize", "/dev/github/login/oauth/access_token", "/dev/github/api/user",
  "/dev/github/api/user/emails", "/dev/github/avatars/ada.svg", "/dev/github/nope", "/no/such/page",
  "/assets/missing.js", "/favicon.svg", "/%", "/login%", "/%E0%A4%A", "//evil.example/x", "/login/../account",
  "/.well-known/openid-configuration", "/account/%2e%2e/dashboard", "/__manifest",
];
/** Files in build/client that the assets layer serves before the Worker runs. */
const STATIC_FILES = new Set(["/favicon.svg"]);
const QUERIES = [
  ["", 10], ["?_data=routes%2Flogin", 2], ["?_data=root", 1], ["?index", 1], ["?redirectTo=%2F%2Fevil.example", 1],
  ["?redirectTo=%2F%5Cevil.example", 1], ["?redirectTo=https%3A%2F%2Fevil.example", 1], ["?email=ada%40example.com", 1],
  ["?q=%", 1], ["?a=%zz&b=%E0%A4%A", 1], ["?code=abc&state=xyz", 1], ["?error=access_denied&state=x", 1],
  ["?github=cancelled", 1], ["?p=" + "x".repeat(6000), 1], ["?response_type=code&client_id=latchkey-local&state=s", 1],
];
const METHODS = [["GET", 36], ["POST", 40], ["HEAD", 7], ["PUT", 4], ["DELETE", 4], ["PATCH", 4], ["OPTIONS", 3], ["PURGE", 2]];
const FIELDS = [
  "email", "token", "code", "redirectTo", "intent", "sessionId", "kind", "next", "decision", "preset", "login", "id",
  "email1", "verified1", "primary", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method",
  "grant_type", "code_verifier", "_action", "",
];
const HOSTILE_EMAILS = Array.from({ length: 12 }, (_, i) => `target${i}@example.com`);
function fieldValue(rng) {
  return weighted(rng, [
    [() => pick(rng, HOSTILE_EMAILS), 6],
    [() => randomToken(rng), 3],
    [() => String(Math.floor(rng() * 1e6)).padStart(6, "0"), 3],
    [() => "", 2],
    [() => "%", 2],
    [() => "%zz", 1],
    [() => "a".repeat(12_000), 1],
    [() => "x".repeat(300) + "@example.com", 1],
    [() => "<script>alert(1)</script>", 1],
    [() => "../../etc/passwd", 1],
    [() => "😀 ünïcødé", 1],
    [() => " Ada@Example.COM ", 1],
    [() => "a@b\r\nBcc: x@y.z", 1],
    [() => "authorize", 1],
    [() => "revoke-others", 1],
    [() => "S256", 1],
    [() => "//evil.example", 1],
  ])();
}
const enc = (s) => encodeURIComponent(s);
function formBody(rng) {
  const n = 1 + Math.floor(rng() * 5);
  return Array.from({ length: n }, () => `${enc(pick(rng, FIELDS))}=${enc(fieldValue(rng))}`).join("&");
}
function multipart(rng, boundary) {
  const n = 1 + Math.floor(rng() * 4);
  const parts = Array.from({ length: n }, () => {
    const name = pick(rng, FIELDS);
    return chance(rng, 0.2)
      ? `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="x.txt"\r\nContent-Type: text/plain\r\n\r\n${fieldValue(rng)}\r\n`
      : `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${fieldValue(rng)}\r\n`;
  });
  return parts.join("") + `--${boundary}--\r\n`;
}

/** [label, content type (undefined: none), body] */
function body(rng) {
  const kind = weighted(rng, [
    ["form", 30], ["lone-%", 5], ["bad-percent", 4], ["huge-under-limit", 3], ["huge-over-limit", 3], ["huge-300k", 1],
    ["many-fields", 2], ["multipart", 8], ["multipart-no-boundary", 4], ["multipart-empty-boundary", 2],
    ["multipart-wrong-boundary", 3], ["multipart-truncated", 3], ["form-utf16", 4], ["form-charset-bogus", 2],
    ["json", 4], ["json-broken", 2], ["text", 2], ["xml", 1], ["no-type", 4], ["binary", 3], ["empty", 3], ["upper-case-type", 2],
  ]);
  const FORM = "application/x-www-form-urlencoded";
  switch (kind) {
    case "form": return [kind, pick(rng, [FORM, `${FORM}; charset=UTF-8`]), formBody(rng)];
    case "lone-%": return [kind, FORM, pick(rng, ["%", "email=%", "email=%&token=%", "%=%", "code=1%"])];
    case "bad-percent": return [kind, FORM, pick(rng, ["email=%zz", "email=%E0%A4%A", "token=%C0%AF", "%00=%00", "a=%FF%FE"])];
    case "huge-under-limit": return [kind, FORM, `email=${enc(pick(rng, HOSTILE_EMAILS))}&pad=${"x".repeat(15_000)}`];
    case "huge-over-limit": return [kind, FORM, `email=a%40b.c&pad=${"x".repeat(17_000)}`];
    case "huge-300k": return [kind, FORM, `pad=${"y".repeat(300_000)}`];
    case "many-fields": return [kind, FORM, Array.from({ length: 1500 }, (_, i) => `f${i}=1`).join("&")];
    case "multipart": return [kind, "multipart/form-data; boundary=soakBoundary", multipart(rng, "soakBoundary")];
    case "multipart-no-boundary": return [kind, "multipart/form-data", multipart(rng, "soakBoundary")];
    case "multipart-empty-boundary": return [kind, "multipart/form-data; boundary=", multipart(rng, "soakBoundary")];
    case "multipart-wrong-boundary": return [kind, "multipart/form-data; boundary=other", multipart(rng, "soakBoundary")];
    case "multipart-truncated": return [kind, "multipart/form-data; boundary=soakBoundary", multipart(rng, "soakBoundary").slice(0, -20)];
    case "form-utf16": return [kind, `${FORM}; charset=utf-16`, Buffer.from(formBody(rng), "utf16le")];
    case "form-charset-bogus": return [kind, `${FORM}; charset=x-bogus`, formBody(rng)];
    case "json": return [kind, "application/json", JSON.stringify({ email: pick(rng, HOSTILE_EMAILS), token: randomToken(rng) })];
    case "json-broken": return [kind, "application/json", '{"email": "a@b.c",'];
    case "text": return [kind, "text/plain", formBody(rng)];
    case "xml": return [kind, "application/xml", "<email>a@b.c</email>"];
    case "no-type": return [kind, undefined, formBody(rng)];
    case "binary": return [kind, pick(rng, [FORM, "application/octet-stream"]), Buffer.from(Array.from({ length: 256 }, () => Math.floor(rng() * 256)))];
    case "empty": return [kind, FORM, ""];
    case "upper-case-type": return [kind, "APPLICATION/X-WWW-FORM-URLENCODED", formBody(rng)];
  }
  throw new Error(kind);
}

const SESSION_COOKIE = "latchkey_session";
const cookiePool = []; // session cookies from real sign-ins ("name=value"), most recent last
function cookies(rng) {
  const kind = weighted(rng, [
    ["none", 40], ["session", 14], ["tampered", 10], ["oversized", 4], ["many", 4], ["garbage", 6],
    ["duplicate", 3], ["other-app-cookies", 4], ["host-prefixed", 2],
  ]);
  const valid = cookiePool.length ? pick(rng, cookiePool) : `${SESSION_COOKIE}=${randomToken(rng)}`;
  switch (kind) {
    case "none": return [kind, undefined];
    case "session": return [kind, valid];
    case "tampered": {
      const i = valid.length - 1 - Math.floor(rng() * Math.min(20, valid.length - SESSION_COOKIE.length - 2));
      return [kind, valid.slice(0, i) + (valid[i] === "A" ? "B" : "A") + valid.slice(i + 1)];
    }
    case "oversized": return [kind, `${SESSION_COOKIE}=${"A".repeat(7000)}`];
    case "many": return [kind, Array.from({ length: 150 }, (_, i) => `c${i}=${randomToken(rng, 8)}`).join("; ")];
    case "garbage": return [kind, pick(rng, [`${SESSION_COOKIE}=`, `${SESSION_COOKIE}=%`, "=", ";;;", `${SESSION_COOKIE}="unterminated`, "latchkey_2fa=%zz; latchkey_device=..", `${SESSION_COOKIE}=${randomToken(rng)}.${randomToken(rng)}`])];
    case "duplicate": return [kind, `${valid}; ${SESSION_COOKIE}=${randomToken(rng)}`];
    case "other-app-cookies": return [kind, `latchkey_2fa=${randomToken(rng)}; latchkey_device=${randomToken(rng)}; latchkey_github_to=${randomToken(rng)}; github_state=${randomToken(rng)}`];
    case "host-prefixed": return [kind, `__Host-${SESSION_COOKIE}=${randomToken(rng)}`];
  }
  throw new Error(kind);
}

const HOSTILE_IPS = ["203.0.113.7", "203.0.113.8", "2001:db8::1", "not-an-ip", ""];
function headers(rng, method) {
  const h = {};
  const labels = [];
  const unsafe = !["GET", "HEAD", "OPTIONS"].includes(method);
  const origin = weighted(rng, [[target, unsafe ? 60 : 15], ["null", 8], ["http://evil.example", 6], [undefined, 20], ["http://localhost:1", 3], ["not a url", 3]]);
  if (origin !== undefined) {
    h.Origin = origin;
    labels.push(origin === target ? "origin=same" : `origin=${origin}`);
  }
  if (chance(rng, 0.3)) {
    h["X-Forwarded-Host"] = pick(rng, ["evil.x", "a.example, b.example", "127.0.0.1", " "]);
    labels.push("xfh");
  }
  if (chance(rng, 0.4)) {
    h["Sec-Fetch-Site"] = pick(rng, ["same-origin", "same-site", "cross-site", "none"]);
    h["Sec-Fetch-Mode"] = pick(rng, ["navigate", "cors", "no-cors", "same-origin"]);
    h["Sec-Fetch-Dest"] = pick(rng, ["document", "empty", "iframe", "image"]);
    if (chance(rng, 0.5)) h["Sec-Fetch-User"] = "?1";
    labels.push(`sec-fetch-site=${h["Sec-Fetch-Site"]}`);
  }
  const accept = weighted(rng, [[undefined, 6], ["text/html,application/xhtml+xml,*/*;q=0.8", 6], ["application/json", 2], ["*/*", 2], ["text/x-script", 1], ["garbage;;q=x", 1], ["image/webp", 1]]);
  if (accept) h.Accept = accept;
  h["User-Agent"] = weighted(rng, [
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36", 6],
    ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 2],
    ["curl/8.5.0", 1], ["", 1], ["x".repeat(4000), 1],
  ]);
  if (chance(rng, 0.5)) h["CF-Connecting-IP"] = pick(rng, HOSTILE_IPS);
  if (chance(rng, 0.1)) h["Accept-Language"] = pick(rng, ["de-DE,de;q=0.9,en;q=0.8", "*", "x".repeat(2000)]);
  if (chance(rng, 0.1)) h["X-Request-Id"] = pick(rng, [randomToken(rng, 36), "", "x".repeat(500), "<script>"]);
  if (chance(rng, 0.1)) h.Authorization = pick(rng, ["Basic a", "Basic !!!", `Basic ${Buffer.from("latchkey-local:wrong").toString("base64")}`, "Bearer nope", "token " + randomToken(rng)]);
  if (chance(rng, 0.03)) h["Content-Encoding"] = "gzip"; // a body that isn't gzip at all
  if (chance(rng, 0.03)) h.Range = "bytes=0-10";
  if (chance(rng, 0.05)) h["X-Forwarded-Proto"] = "https";
  return [labels, h];
}

/** One hostile request, fully determined by the seed and n. */
function hostileRequest(n) {
  const rng = rngFor(n);
  // fetch() won't send a body with GET or HEAD; some clients do (often `Content-Length: 0`), so a few go raw.
  if (chance(rng, 0.04)) {
    const method = pick(rng, ["GET", "HEAD"]);
    const path = pick(rng, PATHS);
    const [labels, h] = headers(rng, method);
    const payload = pick(rng, ["", "email=a%40b.c", formBody(rng)]);
    h["Content-Type"] = "application/x-www-form-urlencoded";
    const label = [method, path, `body=${payload ? "form" : "empty"}+content-length`, ...labels].join(" ");
    return { n, label, method, path, headers: h, body: payload, raw: true };
  }
  const method = weighted(rng, METHODS);
  const path = pick(rng, PATHS) + weighted(rng, QUERIES);
  const [labels, h] = headers(rng, method);
  const [cookieKind, cookie] = cookies(rng);
  if (cookie) h.Cookie = cookie;
  let payload;
  let bodyKind = "-";
  if (method !== "GET" && method !== "HEAD" && !chance(rng, 0.1)) {
    let [kind, type, data] = body(rng);
    const staticFile = STATIC_FILES.has(path.split("?")[0]) && !args["asset-bodies"];
    if (staticFile && data.length > 64 * 1024) [kind, data] = ["huge-over-limit", `pad=${"x".repeat(17_000)}`];
    bodyKind = kind;
    if (type) h["Content-Type"] = type;
    payload = data;
    // Sometimes chunked (no Content-Length), which takes the body limit's streaming path.
    if (chance(rng, 0.15) && payload.length > 0 && !staticFile) {
      const bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
      payload = new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.subarray(i, i + 4096));
          controller.close();
        },
      });
      bodyKind += "+chunked";
    }
  }
  const label = [method, path.length > 80 ? `${path.slice(0, 80)}…` : path, `body=${bodyKind}`, `cookie=${cookieKind}`, ...labels].join(" ");
  return { n, label, method, path, headers: h, body: payload };
}

// ------------------------------------------------------------------------------------------------ the client
const stats = {
  requests: 0,
  statuses: {},
  latencies: [],
  failures: [], // the first few, in detail
  failureCounts: { "5xx": 0, restart: 0, connection: 0, timeout: 0, "stack trace": 0, "sign-in": 0 },
  signIns: { started: 0, completed: 0 },
};
const FAILURE_DETAILS = 25;
const STACK_TRACE = /^\s+at \S.*:\d+:\d+\)?\s*$|node_modules\/|\.(?:tsx?|m?js):\d+:\d+/m;

function describeRequest(request) {
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [k, String(v).length > 120 ? `${String(v).slice(0, 120)}… (${String(v).length} chars)` : v]),
  );
  const body =
    request.body === undefined ? undefined
      : request.body instanceof ReadableStream ? "(chunked stream)"
      : typeof request.body === "string" ? (request.body.length > 200 ? `${request.body.slice(0, 200)}… (${request.body.length} chars)` : request.body)
      : `(${request.body.length} bytes)`;
  return { n: request.n, label: request.label, method: request.method, url: `${target}${request.path}`, headers, body };
}

function fail(kind, request, detail) {
  stats.failureCounts[kind] = (stats.failureCounts[kind] ?? 0) + 1;
  if (stats.failures.length < FAILURE_DETAILS) stats.failures.push({ kind, detail, request: describeRequest(request) });
}

const rawAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** node:http, for what fetch() refuses to send (a body on GET or HEAD), with the same answer shape. */
function rawFetch(href, request) {
  return new Promise((resolve, reject) => {
    const streamed = request.body instanceof ReadableStream;
    const body = streamed ? null : Buffer.from(request.body ?? "");
    // node:http frames DELETE/OPTIONS bodies only when told to: say chunked, or the body desyncs the connection.
    const headers = streamed ? { ...request.headers, "Transfer-Encoding": "chunked" } : { ...request.headers, "Content-Length": String(body.length) };
    let previous = null;
    const outgoing = httpRequest(
      href,
      { method: request.method, headers, agent: rawAgent, timeout: REQUEST_TIMEOUT_MS },
      (incoming) => {
        const chunks = [];
        incoming.on("data", (chunk) => chunks.push(chunk));
        incoming.on("end", () => {
          outgoing.socket && (outgoing.socket.soakLast = request.label);
          const bytes = Buffer.concat(chunks);
          const headers = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) for (const v of [value].flat()) headers.append(name, v);
          resolve({ status: incoming.statusCode, headers, arrayBuffer: async () => bytes, previous });
        });
        incoming.on("error", reject);
      },
    );
    outgoing.on("socket", (socket) => (previous = socket.soakLast ?? null));
    outgoing.on("timeout", () => outgoing.destroy(Object.assign(new Error("timeout"), { name: "TimeoutError" })));
    outgoing.on("error", (error) => {
      const culprit = previous ? `; the request before it on this keep-alive connection: ${previous}` : "";
      reject(Object.assign(new Error(`${error.message}${culprit}`), { name: error.name, cause: { code: `${error.code ?? error.message}${culprit}` } }));
    });
    if (!streamed) return outgoing.end(body);
    (async () => {
      for await (const chunk of request.body) outgoing.write(chunk);
      outgoing.end();
    })().catch((error) => outgoing.destroy(error));
  });
}

/** Sends one request to our Worker (and nowhere else), reads the whole answer, and checks it. */
async function send(request) {
  const base = new URL(target);
  const url = new URL(request.path, base);
  // Paths like //evil.example/x must stay paths on our host, never become another host.
  const href = url.host === base.host ? url.href : `${target}${request.path}`;
  if (new URL(href).hostname !== "127.0.0.1") throw new Error(`refusing to send to ${href}`);
  stats.requests++;
  const started = performance.now();
  let response;
  let text = "";
  try {
    response = request.raw || args.direct ? await rawFetch(href, request) : await fetch(href, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      duplex: "half",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    text = Buffer.from(await response.arrayBuffer()).toString("utf8");
  } catch (error) {
    stats.latencies.push(performance.now() - started);
    const timedOut = error?.name === "TimeoutError" || error?.name === "AbortError";
    const code = error?.cause?.code ?? error?.cause?.message ?? error?.message;
    stats.statuses[timedOut ? "timeout" : `error ${code}`] = (stats.statuses[timedOut ? "timeout" : `error ${code}`] ?? 0) + 1;
    fail(timedOut ? "timeout" : "connection", request, String(code));
    return null;
  }
  stats.latencies.push(performance.now() - started);
  stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1;
  const before = response.previous ? ` (the request before it on this keep-alive connection: ${response.previous})` : "";
  if (response.status >= 500) {
    const restart = text.includes("Your worker restarted mid-request");
    fail(restart ? "restart" : "5xx", request, `${response.status} ${text.slice(0, 300)}${before}`);
  }
  if (STACK_TRACE.test(text)) fail("stack trace", request, `${response.status} …${text.slice(Math.max(0, text.search(STACK_TRACE) - 100), text.search(STACK_TRACE) + 200)}…`);
  return { status: response.status, headers: response.headers, text };
}

/** A real person signing in: request a link, read the dev mailbox, confirm by link or code, open the dashboard. */
async function signIn(n) {
  const rng = rngFor(n);
  stats.signIns.started++;
  const email = `soak-${SEED}-${n}@example.com`;
  // Each person comes from their own address, as real visitors do; the hostile traffic shares a few.
  const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  const browser = { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "CF-Connecting-IP": ip };
  const form = { ...browser, "Content-Type": "application/x-www-form-urlencoded", Origin: target };
  const step = (label, method, path, headers, body) => ({ n, label: `sign-in: ${label}`, method, path, headers, body });
  const broken = (request, why) => {
    fail("sign-in", request, why);
    return false;
  };

  const page = step("GET /login", "GET", "/login", browser);
  if ((await send(page))?.status !== 200) return broken(page, "the sign-in page did not load");
  const ask = step("POST /login", "POST", "/login", form, `email=${enc(email)}`);
  const asked = await send(ask);
  if (asked?.status !== 200) return broken(ask, `POST /login answered ${asked?.status}`);
  const mailbox = step("GET /dev/mailbox.json", "GET", "/dev/mailbox.json", browser);
  const box = await send(mailbox);
  let mail;
  try {
    mail = box?.status === 200 ? JSON.parse(box.text).find((m) => m.to === email) : undefined;
  } catch {
    return broken(mailbox, "the dev mailbox answered something that isn't JSON");
  }
  const token = mail?.text.match(/token=([A-Za-z0-9_-]+)/)?.[1];
  const code = mail?.text.match(/code on the sign-in page: (\d{6})/)?.[1];
  if (!token || !code) return broken(mailbox, "no sign-in mail in the dev mailbox");
  const confirm = chance(rng, 0.5)
    ? step("POST /auth/verify", "POST", "/auth/verify", { ...form, Origin: "null", "Sec-Fetch-Site": "same-origin" }, `token=${token}`)
    : step("POST /auth/code", "POST", "/auth/code", form, `email=${enc(email)}&code=${code}`);
  const confirmed = await send(confirm);
  const cookie = confirmed?.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.split(";")[0];
  if (confirmed?.status !== 303 || !cookie) return broken(confirm, `confirming answered ${confirmed?.status} without a session cookie`);
  const dashboard = step("GET /dashboard", "GET", "/dashboard", { ...browser, Cookie: cookie });
  const shown = await send(dashboard);
  if (shown?.status !== 200 || !shown.text.includes(email)) return broken(dashboard, `the dashboard answered ${shown?.status}`);
  if (chance(rng, 0.15)) {
    const out = step("POST /logout", "POST", "/logout", { ...form, Cookie: cookie }, "");
    if ((await send(out))?.status !== 303) return broken(out, "signing out failed");
  } else {
    cookiePool.push(cookie);
    if (cookiePool.length > 50) cookiePool.shift();
  }
  stats.signIns.completed++;
  return true;
}

// ------------------------------------------------------------------------------------- server and memory
function run(cmd, cmdArgs) {
  return execFileSync(cmd, cmdArgs, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

function prepareBuild() {
  const built = join(ROOT, "build/server/index.js");
  const sources = Math.max(...["app", "public", "vite.config.ts", "package-lock.json"].map((p) => newestMtime(join(ROOT, p))));
  if (!args.rebuild && existsSync(built) && statSync(built).mtimeMs > sources) {
    console.log("soak: reusing the production build in build/ (newer than app/ and public/; --rebuild to force).");
    return;
  }
  console.log("soak: building (remix vite:build)…");
  run("npx", ["remix", "vite:build"]);
}

async function waitForHealthz(deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited with ${wrangler.exitCode}; see ${join(work, "wrangler.stderr.log")}`);
    try {
      const response = await fetch(`${BASE}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${BASE}/healthz did not answer 200 within ${deadlineMs / 1000} s`);
}

/** Descendant processes of pid (Linux /proc). */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const found = [];
  const queue = [pid];
  while (queue.length) for (const child of children.get(queue.shift()) ?? []) (found.push(child), queue.push(child));
  return found;
}

const processName = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};
const rssMiB = (pid) => {
  try {
    return Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  } catch {
    return Number.NaN;
  }
};

/** wrangler dev runs two workerd processes: its proxy (which listens on our port) and the one running our Worker. */
function findProcesses() {
  const inodes = new Set();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[3] === "0A" && parseInt(cols[1].split(":").pop(), 16) === PORT) inodes.add(cols[9]);
    }
  }
  const listensOnPort = (pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return link.startsWith("socket:[") && inodes.has(link.slice(8, -1));
      });
    } catch {
      return false;
    }
  };
  const all = descendants(wrangler.pid);
  const workerds = all.filter((pid) => processName(pid) === "workerd");
  const proxy = workerds.find(listensOnPort);
  const worker = workerds.filter((pid) => pid !== proxy).sort((a, b) => b - a)[0];
  const node = all.filter((pid) => processName(pid).startsWith("node"));
  return { worker, proxy, tooling: [wrangler.pid, ...node] };
}

/** The Worker workerd's own HTTP socket (behind wrangler's proxy): the listening port that serves /healthz. */
async function workerSocket(pid) {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ""; } })
      .filter((link) => link.startsWith("socket:["))
      .map((link) => link.slice(8, -1)),
  );
  const ports = readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length > 9 && cols[3] === "0A" && inodes.has(cols[9]))
    .map((cols) => parseInt(cols[1].split(":")[1], 16));
  for (const port of ports) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) })).status === 200) return `http://127.0.0.1:${port}`;
    } catch {}
  }
  throw new Error("--direct: could not find the Worker's own socket");
}

/** Our isolate's JS heap after a full GC (a heap snapshot forces one), through wrangler's inspector proxy. */
async function isolateHeapMiB(name) {
  if (args["no-heap"]) return Number.NaN;
  try {
    const list = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`, { signal: AbortSignal.timeout(5000) })).json();
    const socket = new WebSocket(list[0].webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } });
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error("inspector connection failed"));
      setTimeout(() => reject(new Error("inspector connection timed out")), 10_000);
    });
    const pending = new Map();
    const chunks = [];
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (args.snapshots && message.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(message.params.chunk);
      if (message.id && pending.has(message.id)) {
        pending.get(message.id)(message);
        pending.delete(message.id);
      }
    };
    let id = 0;
    const call = (method, params = {}) =>
      new Promise((resolve, reject) => {
        const callId = ++id;
        pending.set(callId, resolve);
        socket.send(JSON.stringify({ id: callId, method, params }));
        setTimeout(() => reject(new Error(`${method} timed out`)), 60_000);
      });
    await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const usage = await call("Runtime.getHeapUsage");
    if (args.snapshots) writeFileSync(join(args.snapshots, `${name}.heapsnapshot`), chunks.join(""));
    // wrangler's inspector proxy turned on the Network domain for us; leaving it on makes the runtime
    // report every subrequest (each D1 query, with its body) to wrangler for the rest of the run.
    if (process.env.SOAK_KEEP_NETWORK !== "1") await call("Network.disable");
    socket.close();
    return usage.result.usedSize / 1024 / 1024;
  } catch (error) {
    console.error(`soak: could not read the isolate heap: ${error.message}`);
    return Number.NaN;
  }
}

function memorySnapshot(processes) {
  return {
    workerRssMiB: rssMiB(processes.worker),
    proxyRssMiB: rssMiB(processes.proxy),
    toolingRssMiB: processes.tooling.map(rssMiB).filter(Number.isFinite).reduce((a, b) => a + b, 0),
  };
}

// ---------------------------------------------------------------------------------------------------- logs
function analyseLogs() {
  const read = (name) => (existsSync(join(work, name)) ? readFileSync(join(work, name), "utf8") : "");
  const stdout = read("wrangler.stdout.log").replace(/\x1b\[[0-9;]*m/g, "");
  const stderr = read("wrangler.stderr.log").replace(/\x1b\[[0-9;]*m/g, "");
  // wrangler's debug log gets everything, including the inspector traffic of our heap measurements.
  const debugLog = existsSync(env.WRANGLER_LOG_PATH) ? readFileSync(env.WRANGLER_LOG_PATH, "utf8") : "";
  const debugEntries = debugLog.split("\n--- ").slice(1);
  const measuring = debugEntries.filter((e) => e.includes("HeapProfiler.") || e.includes("Runtime.getHeapUsage"));
  const debugLogBytes = Buffer.byteLength(debugLog);
  const debugLogMeasurementBytes = measuring.reduce((sum, e) => sum + Buffer.byteLength(e), 0);
  const lines = (text) => text.split("\n").filter((l) => l.trim() !== "");
  const out = lines(stdout);
  const err = lines(stderr);
  // wrangler prints the Worker's console.error as "✘ [ERROR] …" and console.warn as "▲ [WARNING] …" on
  // stderr, console.log/info as plain lines on stdout, and one "[wrangler:info]" line per request.
  const errors = err.filter((l) => l.includes("[ERROR]"));
  const warnings = err.filter((l) => l.includes("[WARNING]"));
  const requestLines = out.filter((l) => l.startsWith("[wrangler:info] ") && /^\[wrangler:info\] [A-Z]+ \S+ \d{3}/.test(l));
  const startup = out.findIndex((l) => l.includes("Ready on"));
  const workerInfo = out.slice(startup + 1).filter((l) => !l.startsWith("[wrangler:info]") && !l.startsWith("⎔") && !/^[─ ]*$/.test(l));
  const top = (items) =>
    Object.entries(items.reduce((acc, l) => ((acc[l.replace(/\d+/g, "N").slice(0, 140)] = (acc[l.replace(/\d+/g, "N").slice(0, 140)] ?? 0) + 1), acc), {}))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
  return {
    stdoutBytes: Buffer.byteLength(stdout),
    stderrBytes: Buffer.byteLength(stderr),
    debugLogBytes,
    debugLogEntries: debugEntries.length,
    debugLogMeasurementBytes,
    requestLines: requestLines.length,
    workerInfoLines: workerInfo.length,
    warnLines: warnings.length,
    errorLines: errors.length,
    topErrors: top(errors),
    topWarnings: top(warnings),
    topInfo: top(workerInfo),
  };
}

// ----------------------------------------------------------------------------------------------------- main
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : Number.NaN);
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

async function main() {
  prepareBuild();
  const persist = join(work, "state");
  run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist]);

  const vars = {
    APP_URL: BASE,
    EMAIL_PROVIDER: "outbox",
    EMAIL_FROM: "Latchkey <login@localhost>",
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    TOTP_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
  };
  wrangler = spawn(
    WRANGLER,
    [
      // The dev entry: the real sign-ins read their links from its mailbox (docs/decisions/013).
      "dev", DEV_ENTRY, "--port", String(PORT), "--ip", "127.0.0.1", "--inspector-port", String(INSPECTOR_PORT),
      "--persist-to", persist, "--show-interactive-dev-session=false",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  wrangler.stdout.pipe(createWriteStream(join(work, "wrangler.stdout.log")));
  wrangler.stderr.pipe(createWriteStream(join(work, "wrangler.stderr.log")));
  await waitForHealthz(120_000);

  const processes = findProcesses();
  if (!processes.worker) throw new Error("could not find the Worker's workerd process");
  if (args.direct) target = await workerSocket(processes.worker);
  console.log(`soak: wrangler dev on ${BASE}${args.direct ? `, sending straight to the Worker at ${target}` : ""} (Worker's workerd pid ${processes.worker}); seed ${SEED}, concurrency ${CONCURRENCY}, ` +
    `${Number.isFinite(MAX_REQUESTS) ? `${MAX_REQUESTS} requests` : `${SECONDS} s`}.`);

  // Warm up (first sign-ins fill the cookie pool, the isolate compiles), then measure the starting point.
  for (let i = 0; i < 3; i++) await signIn(-1 - i);
  const startMemory = { ...memorySnapshot(processes), heapMiB: await isolateHeapMiB("start") };
  const samples = [];
  const started = Date.now();
  const sampler = setInterval(() => samples.push({ s: Math.round((Date.now() - started) / 1000), requests: stats.requests, workerRssMiB: Math.round(rssMiB(processes.worker)), proxyRssMiB: Math.round(rssMiB(processes.proxy)) }), 5000);

  const deadline = started + SECONDS * 1000;
  let next = 0;
  const more = () => stats.requests < MAX_REQUESTS && Date.now() < deadline && wrangler.exitCode === null;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (more()) {
        const n = next++;
        if (rngFor(n)() < 0.05) await signIn(n);
        else await send(hostileRequest(n));
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);

  const stillRunning = wrangler.exitCode === null;
  const sameWorkerProcess = stillRunning && findProcesses().worker === processes.worker;
  const endMemory = { ...memorySnapshot(processes), heapMiB: stillRunning ? await isolateHeapMiB("end") : Number.NaN };
  const logs = analyseLogs();
  const sorted = stats.latencies.sort((a, b) => a - b);

  const problems = [];
  for (const [kind, count] of Object.entries(stats.failureCounts)) if (count) problems.push(`${count} × ${kind}`);
  if (!stillRunning) problems.push(`wrangler dev exited (${wrangler.exitCode})`);
  else if (!sameWorkerProcess) problems.push("the Worker's workerd process was replaced (a restart)");
  if (logs.errorLines) problems.push(`${logs.errorLines} error-level log lines (bad input must log at warn at most)`);

  const report = {
    seed: SEED,
    concurrency: CONCURRENCY,
    seconds: Number(elapsed.toFixed(1)),
    requests: stats.requests,
    requestsPerSecond: Number((stats.requests / elapsed).toFixed(1)),
    statuses: stats.statuses,
    signIns: stats.signIns,
    latencyMs: { p50: Number(fmt(percentile(sorted, 0.5))), p99: Number(fmt(percentile(sorted, 0.99))), max: Number(fmt(sorted.at(-1))) },
    memoryMiB: {
      workerProcessRss: { start: Number(fmt(startMemory.workerRssMiB)), end: Number(fmt(endMemory.workerRssMiB)), max: Number(fmt(Math.max(...samples.map((x) => x.workerRssMiB), endMemory.workerRssMiB))) },
      isolateHeapAfterGc: { start: Number(fmt(startMemory.heapMiB, 1)), end: Number(fmt(endMemory.heapMiB, 1)) },
      devProxyRss: { start: Number(fmt(startMemory.proxyRssMiB)), end: Number(fmt(endMemory.proxyRssMiB)) },
      wranglerNodeRss: { start: Number(fmt(startMemory.toolingRssMiB)), end: Number(fmt(endMemory.toolingRssMiB)) },
    },
    memoryTimeline: samples,
    logs,
    failureCounts: stats.failureCounts,
    failures: stats.failures,
    problems,
  };

  const statusLine = Object.entries(stats.statuses).sort((a, b) => b[1] - a[1]).map(([s, c]) => `${s}: ${c}`).join(", ");
  const m = report.memoryMiB;
  console.log(`
Soak: ${report.requests} requests in ${report.seconds} s (${report.requestsPerSecond}/s), seed ${SEED}, concurrency ${CONCURRENCY}
  statuses        ${statusLine}
  sign-ins        ${stats.signIns.completed} of ${stats.signIns.started} completed
  latency         p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms
  Worker process  RSS ${m.workerProcessRss.start} → ${m.workerProcessRss.end} MiB (max ${m.workerProcessRss.max})
  RSS over time   ${[0, 0.25, 0.5, 0.75, 1].map((q) => samples[Math.min(samples.length - 1, Math.floor(q * (samples.length - 1)))]).filter(Boolean).map((x) => `${x.requests} req: ${x.workerRssMiB}`).join(" → ")} MiB
  our isolate     JS heap after GC ${m.isolateHeapAfterGc.start} → ${m.isolateHeapAfterGc.end} MiB
  dev tooling     proxy workerd RSS ${m.devProxyRss.start} → ${m.devProxyRss.end} MiB, wrangler (node) RSS ${m.wranglerNodeRss.start} → ${m.wranglerNodeRss.end} MiB
  logs            stdout ${fmt(logs.stdoutBytes / 1024)} KiB (${logs.requestLines} request lines, ${logs.workerInfoLines} info lines from the Worker), ` +
    `stderr ${fmt(logs.stderrBytes / 1024)} KiB (${logs.warnLines} warn, ${logs.errorLines} error), wrangler debug log ${fmt(logs.debugLogBytes / 1024)} KiB ` +
    `(${logs.debugLogEntries} entries; ${fmt(logs.debugLogMeasurementBytes / 1024)} KiB of it this script's heap snapshots)`);
  for (const [line, count] of logs.topErrors) console.log(`    error × ${count}: ${line}`);
  for (const [line, count] of logs.topWarnings) console.log(`    warn × ${count}: ${line}`);
  for (const [line, count] of logs.topInfo) console.log(`    info × ${count}: ${line}`);
  for (const failure of stats.failures) console.log(`\n  ${failure.kind}: ${failure.detail}\n    request #${failure.request.n}: ${failure.request.label}\n    ${JSON.stringify(failure.request)}`);
  if (stats.requests < MAX_REQUESTS && Number.isFinite(MAX_REQUESTS)) console.log(`\n  note: stopped at the ${SECONDS} s limit before --requests ${MAX_REQUESTS}`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  if (args.keep) console.log(`\n  kept: ${work}`);
  console.log(problems.length ? `\nFAILED: ${problems.join("; ")}` : "\nOK: no 5xx, no restarts, no dropped connections, no stack traces, no error-level logs.");
  finished = true;
  return problems.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`soak: ${error.stack ?? error}`);
    if (!finished) console.error(`soak: wrangler's output is in ${work} (kept)`), (args.keep = true);
    process.exit(2);
  },
);
