// `npm run setup:cloudflare`: everything a first deployment needs, through wrangler, idempotently.
// Logs in if needed; creates the D1 database and the KV namespace, or reuses the ones that already have
// their names (or the ids already in wrangler.toml); writes their ids, APP_URL, EMAIL_PROVIDER and
// EMAIL_FROM into wrangler.toml; generates SESSION_SECRET and TOTP_ENCRYPTION_KEY and puts them only if
// the Worker doesn't have them yet; sets the mail provider's key (from the environment, or asked for);
// applies the migrations to the remote D1; and prints what it did. A second run changes nothing.
//
// Answers come from the environment first (APP_URL, EMAIL_PROVIDER, EMAIL_FROM, RESEND_API_KEY,
// POSTMARK_SERVER_TOKEN, CLOUDFLARE_ACCOUNT_ID), then from wrangler.toml once it holds real values, and
// are asked for only when stdin is a terminal. Without a terminal a missing answer stops the script
// before it changes anything.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  appendArrayTable,
  D1,
  formatValue,
  hasSection,
  isPlaceholderFrom,
  isPlaceholderId,
  isPlaceholderUrl,
  KV,
  readValue,
  SEND_EMAIL,
  setValue,
  TOP,
  VARS,
} from "./lib/wrangler-toml.mjs";

const CONFIG = "wrangler.toml";
const GENERATED_SECRETS = ["SESSION_SECRET", "TOTP_ENCRYPTION_KEY"];
const PROVIDER_KEYS = { resend: "RESEND_API_KEY", postmark: "POSTMARK_SERVER_TOKEN", cloudflare: null };
const PROVIDER_KEY_HELP = {
  resend: "a Resend API key with sending access, from https://resend.com/api-keys",
  postmark: "your Postmark server's Server API token (Servers → your server → API Tokens)",
};
const interactive = Boolean(process.stdin.isTTY);

class SetupError extends Error {}

// wrangler from PATH (npm run puts the project's own first); the project's copy as a fallback when the
// script is run with plain `node`.
const projectBin = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".bin");
const childEnv = { ...process.env, PATH: `${process.env.PATH ?? ""}${delimiter}${projectBin}` };

/** Runs wrangler and returns its stdout; `input` is piped to it (secret values never go on the command line). */
function wrangler(args, { input, allowFailure = false } = {}) {
  const result = spawnSync("wrangler", args, {
    env: childEnv,
    input: input ?? "",
    encoding: "utf8",
    shell: process.platform === "win32",
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (result.error) throw new SetupError(`couldn't run wrangler (${result.error.message}); run npm ci first`);
  if (result.status !== 0 && !allowFailure) {
    throw new SetupError(`wrangler ${args.join(" ")} failed:\n${(result.stderr || result.stdout).trim()}`);
  }
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr };
}

/** For the steps a person may need to see or answer (logging in, confirming migrations). */
function wranglerInteractive(args) {
  const result = spawnSync("wrangler", args, { env: childEnv, stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) throw new SetupError(`wrangler ${args.join(" ")} failed (see above)`);
}

/** The JSON document in wrangler's output (it may print a warning or two before it). */
function json(stdout) {
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new SetupError(`expected JSON from wrangler, got:\n${stdout}`);
  return JSON.parse(stdout.slice(start));
}

let rl;
function ask(question, { secret = false } = {}) {
  rl ??= createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  return new Promise((resolve) => {
    const write = rl._writeToOutput;
    if (secret) rl._writeToOutput = (s) => (s.startsWith(question) ? write.call(rl, s) : undefined);
    rl.question(question, (answer) => {
      if (secret) {
        rl._writeToOutput = write;
        process.stdout.write("\n");
      }
      resolve(answer.trim());
    });
  });
}

/**
 * The environment's answer, else the default, else ask (terminal only), else stop with what to set.
 * `fallback` is a value or a function that finds one (only called when the environment has no answer).
 */
async function answer(name, { question, fallback: findFallback, validate, secret = false, help }) {
  const fromEnv = process.env[name]?.trim();
  if (fromEnv) {
    const problem = validate?.(fromEnv);
    if (problem) throw new SetupError(`${name} from the environment: ${problem}`);
    return { value: fromEnv, source: "environment" };
  }
  const fallback = typeof findFallback === "function" ? await findFallback() : findFallback;
  if (fallback !== undefined && !interactive) return { value: fallback, source: "default" };
  if (!interactive) throw new SetupError(`${name} is needed: set it in the environment (${help}) or run this in a terminal to be asked.`);
  for (;;) {
    const typed = await ask(`${question}${fallback !== undefined ? ` [${fallback}]` : ""}: `, { secret });
    const value = typed || fallback;
    const problem = value ? validate?.(value) : "an answer is needed";
    if (!problem) return { value, source: "typed" };
    console.log(`  ${problem}`);
  }
}

const validateUrl = (value) => {
  try {
    const url = new URL(value);
    if (url.protocol !== "https:") return "use the https:// address people will open";
    if (isPlaceholderUrl(value)) return "that's the example address; use your own";
    return undefined;
  } catch {
    return "that isn't a URL; it looks like https://auth.yourdomain.com";
  }
};
const validateProvider = (value) => (Object.hasOwn(PROVIDER_KEYS, value) ? undefined : 'choose "resend", "postmark" or "cloudflare"');
const validateFrom = (value) =>
  isPlaceholderFrom(value) || !/^(?:[^<>]*<[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)$/.test(value.trim())
    ? 'an address on your sending domain, e.g. "Latchkey <login@yourdomain.com>"'
    : undefined;
const addressOf = (from) => /<([^>]+)>/.exec(from)?.[1] ?? from.trim();

/** Logged in to Cloudflare, and the account to use. */
function account() {
  let who = wrangler(["whoami", "--json"], { allowFailure: true });
  if (!who.ok) {
    if (process.env.CLOUDFLARE_API_TOKEN) throw new SetupError(`CLOUDFLARE_API_TOKEN is set but Cloudflare doesn't accept it:\n${(who.stderr || who.stdout).trim()}`);
    if (!interactive) throw new SetupError("not logged in to Cloudflare: run npx wrangler login, or set CLOUDFLARE_API_TOKEN");
    console.log("Logging in to Cloudflare (a browser window opens)…");
    wranglerInteractive(["login"]);
    who = wrangler(["whoami", "--json"]);
  }
  const { email, accounts = [] } = json(who.stdout);
  const chosen = process.env.CLOUDFLARE_ACCOUNT_ID ? accounts.find((a) => a.id === process.env.CLOUDFLARE_ACCOUNT_ID) : accounts[0];
  if (!chosen) throw new SetupError("no Cloudflare account found for this login");
  if (accounts.length > 1 && !process.env.CLOUDFLARE_ACCOUNT_ID) {
    throw new SetupError(
      `this login has ${accounts.length} accounts; choose one with CLOUDFLARE_ACCOUNT_ID=<id>:\n${accounts.map((a) => `  ${a.id}  ${a.name}`).join("\n")}`,
    );
  }
  // Every later wrangler call acts on this account without asking.
  childEnv.CLOUDFLARE_ACCOUNT_ID = chosen.id;
  return { email, account: chosen };
}

/** https://<worker>.<subdomain>.workers.dev, when the account has a workers.dev subdomain. */
async function workersDevUrl(accountId, workerName) {
  try {
    const auth = json(wrangler(["auth", "token", "--json"]).stdout);
    const headers =
      auth.type === "api_key" ? { "X-Auth-Key": auth.key, "X-Auth-Email": auth.email } : { Authorization: `Bearer ${auth.token}` };
    const base = process.env.CLOUDFLARE_API_BASE_URL ?? "https://api.cloudflare.com/client/v4";
    const response = await fetch(`${base}/accounts/${accountId}/workers/subdomain`, { headers, signal: AbortSignal.timeout(10_000) });
    const body = await response.json();
    const subdomain = body?.result?.subdomain;
    return response.ok && subdomain ? `https://${workerName}.${subdomain}.workers.dev` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The names of the Worker's secrets. A Worker that doesn't exist yet has none (`secret put` creates it);
 * any other failure stops the script, since guessing "none" would replace secrets in use.
 */
function secretNames() {
  const listed = wrangler(["secret", "list", "--format", "json"], { allowFailure: true });
  if (listed.ok) return new Set(json(listed.stdout).map((secret) => secret.name));
  if (/not found/i.test(`${listed.stderr}${listed.stdout}`)) return new Set();
  throw new SetupError(`couldn't list the Worker's secrets:\n${(listed.stderr || listed.stdout).trim()}`);
}

/** The resource already in wrangler.toml, else the one with this name, else a new one. */
function ensureResource({ label, name, configuredId, list, create }) {
  const existing = list();
  if (!isPlaceholderId(configuredId) && existing.some((r) => r.id === configuredId)) {
    return { id: configuredId, action: `${label} "${name}": already in wrangler.toml (${configuredId})` };
  }
  const byName = existing.find((r) => r.name === name);
  if (byName) return { id: byName.id, action: `${label} "${name}": reused the existing one (${byName.id})` };
  create();
  const created = list().find((r) => r.name === name);
  if (!created) throw new SetupError(`${label} "${name}" was created but doesn't show up in the list; run this again`);
  return { id: created.id, action: `${label} "${name}": created (${created.id})` };
}

/** Says what a step did, as it happens. */
const report = (line) => console.log(`  ✓ ${line}`);

async function main() {
  const toml = readFileSync(CONFIG, "utf8");
  const workerName = readValue(toml, TOP, "name") ?? "latchkey";
  const databaseName = readValue(toml, D1, "database_name") ?? workerName;
  const namespaceTitle = `${workerName}-rate-limits`;

  console.log(`Setting up ${workerName} on Cloudflare with wrangler.\n`);
  const { email, account: acct } = account();
  report(`Cloudflare: ${email ?? "logged in"}, account ${acct.name} (${acct.id})`);

  // Answers first, so a missing one stops the script before it changes anything.
  const tomlUrl = readValue(toml, VARS, "APP_URL");
  const tomlFrom = readValue(toml, VARS, "EMAIL_FROM");
  const firstRun = isPlaceholderUrl(tomlUrl) || isPlaceholderFrom(tomlFrom);
  const appUrl = !isPlaceholderUrl(tomlUrl) && !process.env.APP_URL
    ? { value: tomlUrl, source: "wrangler.toml" }
    : await answer("APP_URL", {
        question: "Public URL people will sign in at (your workers.dev address, or a custom domain you'll route to the Worker)",
        fallback: () => workersDevUrl(acct.id, workerName),
        validate: validateUrl,
        help: "e.g. APP_URL=https://auth.yourdomain.com; this account has no workers.dev subdomain yet (Workers & Pages in the dashboard)",
      });
  const provider = !firstRun && !process.env.EMAIL_PROVIDER
    ? { value: readValue(toml, VARS, "EMAIL_PROVIDER"), source: "wrangler.toml" }
    : await answer("EMAIL_PROVIDER", {
        question: "Mail provider: resend, postmark or cloudflare (Cloudflare Email Service)",
        fallback: readValue(toml, VARS, "EMAIL_PROVIDER") ?? "resend",
        validate: validateProvider,
        help: "resend, postmark or cloudflare",
      });
  if (validateProvider(provider.value)) throw new SetupError(`EMAIL_PROVIDER in wrangler.toml is "${provider.value}": ${validateProvider(provider.value)}`);
  const from = !isPlaceholderFrom(tomlFrom) && !process.env.EMAIL_FROM
    ? { value: tomlFrom, source: "wrangler.toml" }
    : await answer("EMAIL_FROM", {
        question: `Sender, on a domain verified with ${provider.value} (e.g. Latchkey <login@yourdomain.com>)`,
        validate: validateFrom,
        help: 'e.g. EMAIL_FROM="Latchkey <login@yourdomain.com>"',
      });

  const existingSecrets = secretNames();
  const keyName = PROVIDER_KEYS[provider.value];
  // Set only when missing, like the generated secrets: to replace a key, npx wrangler secret put NAME.
  const providerKey =
    keyName && !existingSecrets.has(keyName)
      ? await answer(keyName, { question: `${keyName}, ${PROVIDER_KEY_HELP[provider.value]} (typing is hidden)`, secret: true, help: PROVIDER_KEY_HELP[provider.value] })
      : null;

  // Resources.
  const database = ensureResource({
    label: "D1 database",
    name: databaseName,
    configuredId: readValue(toml, D1, "database_id"),
    list: () => json(wrangler(["d1", "list", "--json"]).stdout).map((d) => ({ id: d.uuid, name: d.name })),
    create: () => wrangler(["d1", "create", databaseName]),
  });
  report(database.action);
  const namespace = ensureResource({
    label: "KV namespace",
    name: namespaceTitle,
    configuredId: readValue(toml, KV, "id"),
    list: () => json(wrangler(["kv", "namespace", "list"]).stdout).map((n) => ({ id: n.id, name: n.title })),
    create: () => wrangler(["kv", "namespace", "create", namespaceTitle]),
  });
  report(namespace.action);

  // wrangler.toml: only the values that differ are rewritten, each on its own line.
  const edits = [
    ["database_id", D1, "database_id", database.id],
    ["KV namespace id", KV, "id", namespace.id],
    ["APP_URL", VARS, "APP_URL", appUrl.value],
    ["EMAIL_PROVIDER", VARS, "EMAIL_PROVIDER", provider.value],
    ["EMAIL_FROM", VARS, "EMAIL_FROM", from.value],
  ];
  let next = toml;
  const changed = [];
  for (const [label, where, key, value] of edits) {
    if (readValue(next, where, key) === value) continue;
    next = setValue(next, where, key, value);
    changed.push(label);
  }
  if (provider.value === "cloudflare") {
    const allowed = [addressOf(from.value)];
    if (!hasSection(next, SEND_EMAIL)) {
      next = appendArrayTable(next, "send_email", ['Cloudflare Email Service (EMAIL_PROVIDER = "cloudflare"); only EMAIL_FROM may send.'], {
        name: "EMAIL",
        allowed_sender_addresses: allowed,
      });
      changed.push("[[send_email]] EMAIL");
    } else if (readValue(next, SEND_EMAIL, "allowed_sender_addresses") !== formatValue(allowed)) {
      next = setValue(next, SEND_EMAIL, "allowed_sender_addresses", allowed);
      changed.push("allowed_sender_addresses");
    }
  }
  if (changed.length > 0) writeFileSync(CONFIG, next);
  report(changed.length > 0 ? `wrangler.toml: wrote ${changed.join(", ")}` : "wrangler.toml: already up to date");

  // Secrets: generated ones only if missing (replacing them would sign everyone out and make 2FA secrets unreadable).
  for (const name of GENERATED_SECRETS) {
    if (existingSecrets.has(name)) {
      report(`${name}: already set, left alone`);
      continue;
    }
    wrangler(["secret", "put", name], { input: randomBytes(32).toString("base64url") });
    report(`${name}: generated (256 bits) and set`);
  }
  if (keyName) {
    if (providerKey) {
      wrangler(["secret", "put", keyName], { input: providerKey.value });
      report(`${keyName}: set (${providerKey.source === "environment" ? `from $${keyName}` : "as typed"})`);
    } else {
      report(`${keyName}: already set, left alone`);
    }
  }

  console.log("  … applying the D1 migrations to the remote database:");
  wranglerInteractive(["d1", "migrations", "apply", "DB", "--remote"]);
  report("D1 migrations: applied to the remote database (see wrangler's output above)");

  console.log(`\nNext: npm run deploy, then open ${appUrl.value} and sign in.`);
  const domain = addressOf(from.value).split("@")[1];
  if (provider.value === "cloudflare") {
    console.log(`Mail is sent by Cloudflare Email Service: ${domain} must be onboarded to Email Sending (npx wrangler email sending enable ${domain}, or the dashboard).`);
  } else {
    console.log(`Mail is sent by ${provider.value}: ${domain} must be verified there (SPF, DKIM, DMARC; see the README's deploy section).`);
  }
  if (!new URL(appUrl.value).hostname.endsWith(".workers.dev")) {
    console.log(`${new URL(appUrl.value).hostname} must be routed to this Worker (routes or custom_domain in wrangler.toml, or the dashboard).`);
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  console.error(`\nsetup:cloudflare stopped: ${error.message}`);
  process.exitCode = 1;
} finally {
  rl?.close();
}
