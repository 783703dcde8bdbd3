#!/usr/bin/env node
// A stand-in for wrangler's Cloudflare-facing commands, for the setup and deploy tests: it keeps an
// account's D1 databases, KV namespaces, Worker secrets and migration state in a JSON file
// (FAKE_WRANGLER_STATE) and records every call (arguments, and stdin for `secret put`).
import { readFileSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";

const statePath = process.env.FAKE_WRANGLER_STATE;
const state = JSON.parse(readFileSync(statePath, "utf8"));
const args = process.argv.slice(2);
const stdin = args[0] === "secret" && args[1] === "put" ? readFileSync(0, "utf8") : undefined;
state.calls.push(stdin === undefined ? { args } : { args, stdin });
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));
const print = (value) => process.stdout.write(typeof value === "string" ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
const fail = (message) => {
  save();
  process.stderr.write(`✘ [ERROR] ${message}\n`);
  process.exit(1);
};

const command = args.join(" ");
const banner = () => print(" ⛅️ wrangler 4.86.0 (fake)\n───────────────────");

if (!state.loggedIn && !["login", "whoami"].includes(args[0])) fail("Not logged in.");
if (process.env.FAKE_WRANGLER_FAIL && args.join(" ").startsWith(process.env.FAKE_WRANGLER_FAIL)) {
  fail("A request to the Cloudflare API failed. Authentication error [code: 10000]");
}

if (args[0] === "login") {
  state.loggedIn = true;
  print("Successfully logged in.");
} else if (args[0] === "whoami") {
  if (!state.loggedIn) {
    print({ loggedIn: false });
    save();
    process.exit(1);
  }
  print({ loggedIn: true, authType: "OAuth Token", email: "ada@example.com", accounts: state.accounts });
} else if (command.startsWith("auth token")) {
  print({ type: "oauth", token: "fake-oauth-token" });
} else if (command.startsWith("d1 list")) {
  print(state.d1.map(({ uuid, name }) => ({ uuid, name, created_at: "2026-12-01T00:00:00Z", version: "production", num_tables: 0, file_size: 0 })));
} else if (command.startsWith("d1 create")) {
  banner();
  const name = args[2];
  if (state.d1.some((d) => d.name === name)) fail(`A database with that name already exists [code: 7502]`);
  const uuid = randomUUID();
  state.d1.push({ uuid, name });
  print(`✅ Successfully created DB '${name}' in region WEUR\n\n[[d1_databases]]\nbinding = "${name}"\ndatabase_name = "${name}"\ndatabase_id = "${uuid}"`);
} else if (command === "kv namespace list") {
  print(state.kv.map(({ id, title }) => ({ id, title, supports_url_encoding: true })));
} else if (command.startsWith("kv namespace create")) {
  banner();
  const title = args[3];
  if (state.kv.some((n) => n.title === title)) fail(`A KV namespace with the title "${title}" already exists.`);
  const id = randomUUID().replaceAll("-", "");
  state.kv.push({ id, title });
  print(`🌀 Creating namespace with title "${title}"\n✨ Success!\n[[kv_namespaces]]\nbinding = "${title}"\nid = "${id}"`);
} else if (command.startsWith("secret list")) {
  if (!state.workerExists) fail(`Worker "latchkey" not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first to create it.`);
  print(Object.keys(state.secrets).map((name) => ({ name, type: "secret_text" })));
} else if (command.startsWith("secret put")) {
  banner();
  state.workerExists = true;
  state.secrets[args[2]] = stdin.trim();
  print(`✨ Success! Uploaded secret ${args[2]}`);
} else if (command.startsWith("d1 migrations apply")) {
  banner();
  if (!args.includes("--remote")) fail("expected --remote");
  if (state.migrationsApplied) {
    print("✅ No migrations to apply!");
  } else {
    state.migrationsApplied = true;
    print("Migrations to be applied: 0000_init.sql … ✅ applied");
  }
} else if (args[0] === "deploy") {
  banner();
  state.deployed = true;
  print("Uploaded latchkey\nhttps://latchkey.acme.workers.dev");
} else {
  fail(`the fake wrangler doesn't know: ${args.join(" ")}`);
}
save();
