// npm run setup:cloudflare against a fake wrangler: which commands it runs, what it writes into
// wrangler.toml and which secrets it puts, on a first run, a second run, and with existing resources.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createSandbox, fakeCloudflareApi, REPO, shippedToml } from "./sandbox.mjs";
import { D1, KV, readValue, SEND_EMAIL, setValue, VARS } from "../../scripts/lib/wrangler-toml.mjs";

const SETUP = join(REPO, "scripts", "setup-cloudflare.mjs");
const FROM = "Latchkey <login@mail.example.org>";

let api;
before(async () => {
  api = await fakeCloudflareApi({ acc0123: "acme" });
});
after(() => api.close());

const setup = (sandbox, env = {}) => sandbox.run(process.execPath, [SETUP], { CLOUDFLARE_API_BASE_URL: api.baseUrl, ...env });

/** The lines of `after` that aren't in `before`, in order. */
function addedLines(before, after) {
  const old = new Set(before.split("\n"));
  return after.split("\n").filter((line) => !old.has(line));
}

describe("setup:cloudflare on a fresh clone", () => {
  const sandbox = createSandbox();
  const env = { EMAIL_FROM: FROM, RESEND_API_KEY: "re_live_key" };
  let first;

  before(async () => {
    first = await setup(sandbox, env);
  });

  it("succeeds and says what it did and what comes next", () => {
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /✓ D1 database "latchkey": created \([0-9a-f-]{36}\)/);
    assert.match(first.stdout, /✓ KV namespace "latchkey-rate-limits": created \([0-9a-f]{32}\)/);
    assert.match(first.stdout, /✓ wrangler\.toml: wrote database_id, KV namespace id, APP_URL, EMAIL_FROM/);
    assert.match(first.stdout, /✓ SESSION_SECRET: generated \(256 bits\) and set/);
    assert.match(first.stdout, /✓ TOTP_ENCRYPTION_KEY: generated \(256 bits\) and set/);
    assert.match(first.stdout, /✓ RESEND_API_KEY: set \(from \$RESEND_API_KEY\)/);
    assert.match(first.stdout, /✓ D1 migrations: applied/);
    assert.match(first.stdout, /Next: npm run deploy, then open https:\/\/latchkey\.acme\.workers\.dev and sign in\./);
  });

  it("runs exactly these wrangler commands, reading before it creates", () => {
    assert.deepEqual(sandbox.takeCalls(), [
      "whoami --json",
      "auth token --json",
      "secret list --format json",
      "d1 list --json",
      "d1 create latchkey",
      "d1 list --json",
      "kv namespace list",
      "kv namespace create latchkey-rate-limits",
      "kv namespace list",
      "secret put SESSION_SECRET",
      "secret put TOTP_ENCRYPTION_KEY",
      "secret put RESEND_API_KEY",
      "d1 migrations apply DB --remote",
    ]);
  });

  it("writes the new ids and the workers.dev APP_URL into wrangler.toml, and touches no other line", () => {
    const state = sandbox.state();
    const toml = sandbox.toml();
    assert.equal(readValue(toml, D1, "database_id"), state.d1[0].uuid);
    assert.equal(readValue(toml, KV, "id"), state.kv[0].id);
    assert.deepEqual(addedLines(shippedToml(), toml), [
      'APP_URL = "https://latchkey.acme.workers.dev"',
      `EMAIL_FROM = "${FROM.replaceAll('"', '\\"')}"`,
      `database_id = "${state.d1[0].uuid}"`,
      `id = "${state.kv[0].id}"`,
    ]);
    assert.equal(toml.split("\n").length, shippedToml().split("\n").length);
    // The workers.dev subdomain came from Cloudflare's API with wrangler's own login.
    assert.deepEqual(api.requests.at(-1), { url: "/accounts/acc0123/workers/subdomain", authorization: "Bearer fake-oauth-token" });
  });

  it("puts fresh 256-bit secrets and the provider key through stdin", () => {
    const { secrets, calls } = sandbox.state();
    assert.match(secrets.SESSION_SECRET, /^[A-Za-z0-9_-]{43}$/);
    assert.match(secrets.TOTP_ENCRYPTION_KEY, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(secrets.SESSION_SECRET, secrets.TOTP_ENCRYPTION_KEY);
    assert.equal(secrets.RESEND_API_KEY, "re_live_key");
    assert.ok(calls.every((call) => !call.args.some((arg) => arg.includes("re_live_key"))), "no secret on a command line");
  });

  it("changes nothing on a second run", async () => {
    const toml = sandbox.toml();
    const secrets = sandbox.state().secrets;
    const second = await setup(sandbox, env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(sandbox.takeCalls(), [
      "whoami --json",
      "secret list --format json",
      "d1 list --json",
      "kv namespace list",
      "d1 migrations apply DB --remote",
    ]);
    assert.equal(sandbox.toml(), toml);
    assert.deepEqual(sandbox.state().secrets, secrets);
    assert.match(second.stdout, /✓ D1 database "latchkey": already in wrangler\.toml/);
    assert.match(second.stdout, /✓ KV namespace "latchkey-rate-limits": already in wrangler\.toml/);
    assert.match(second.stdout, /✓ wrangler\.toml: already up to date/);
    assert.match(second.stdout, /✓ SESSION_SECRET: already set, left alone/);
    assert.match(second.stdout, /✓ TOTP_ENCRYPTION_KEY: already set, left alone/);
    assert.match(second.stdout, /✓ RESEND_API_KEY: already set, left alone/);
    assert.match(second.stdout, /No migrations to apply/);
  });
});

describe("setup:cloudflare with resources that already exist", () => {
  it("reuses the database and namespace with Latchkey's names and keeps secrets already set", async () => {
    const sandbox = createSandbox({
      d1: [{ uuid: "11111111-2222-3333-4444-555555555555", name: "latchkey" }],
      kv: [{ id: "aaaabbbbccccddddeeeeffff00001111", title: "latchkey-rate-limits" }],
      workerExists: true,
      secrets: { SESSION_SECRET: "kept-session-secret-kept-session-secret-1234" },
    });
    const result = await setup(sandbox, { APP_URL: "https://auth.example.org", EMAIL_FROM: FROM, RESEND_API_KEY: "re_key" });
    assert.equal(result.code, 0, result.stderr);
    const calls = sandbox.takeCalls();
    assert.ok(!calls.some((c) => c.includes("create")), calls.join("\n"));
    assert.ok(!calls.includes("auth token --json"), "APP_URL from the environment: no workers.dev lookup");
    assert.ok(!calls.includes("secret put SESSION_SECRET"));
    assert.ok(calls.includes("secret put TOTP_ENCRYPTION_KEY"));
    assert.equal(sandbox.state().secrets.SESSION_SECRET, "kept-session-secret-kept-session-secret-1234");
    const toml = sandbox.toml();
    assert.equal(readValue(toml, D1, "database_id"), "11111111-2222-3333-4444-555555555555");
    assert.equal(readValue(toml, KV, "id"), "aaaabbbbccccddddeeeeffff00001111");
    assert.equal(readValue(toml, VARS, "APP_URL"), "https://auth.example.org");
    assert.match(result.stdout, /D1 database "latchkey": reused the existing one \(11111111-2222-3333-4444-555555555555\)/);
    assert.match(result.stdout, /auth\.example\.org must be routed to this Worker/);
  });
});

describe("setup:cloudflare with each mail provider", () => {
  it("Postmark: sets POSTMARK_SERVER_TOKEN and EMAIL_PROVIDER", async () => {
    const sandbox = createSandbox();
    const result = await setup(sandbox, { EMAIL_PROVIDER: "postmark", EMAIL_FROM: FROM, POSTMARK_SERVER_TOKEN: "pm-token" });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readValue(sandbox.toml(), VARS, "EMAIL_PROVIDER"), "postmark");
    assert.equal(sandbox.state().secrets.POSTMARK_SERVER_TOKEN, "pm-token");
    assert.equal(sandbox.state().secrets.RESEND_API_KEY, undefined);
  });

  it("Cloudflare Email Service: adds the send_email binding for EMAIL_FROM's address and asks for no key", async () => {
    const sandbox = createSandbox();
    const result = await setup(sandbox, { EMAIL_PROVIDER: "cloudflare", EMAIL_FROM: FROM });
    assert.equal(result.code, 0, result.stderr);
    const toml = sandbox.toml();
    assert.equal(readValue(toml, SEND_EMAIL, "name"), "EMAIL");
    assert.equal(readValue(toml, SEND_EMAIL, "allowed_sender_addresses"), '["login@mail.example.org"]');
    assert.deepEqual(Object.keys(sandbox.state().secrets).sort(), ["SESSION_SECRET", "TOTP_ENCRYPTION_KEY"]);
    assert.match(result.stdout, /npx wrangler email sending enable mail\.example\.org/);
    // Run again: the binding is there once.
    await setup(sandbox, { EMAIL_PROVIDER: "cloudflare", EMAIL_FROM: FROM });
    assert.equal(sandbox.toml(), toml);
    assert.equal(toml.match(/^\[\[send_email\]\]/gm).length, 1);
  });
});

describe("setup:cloudflare stops before changing anything", () => {
  it("when an answer it needs is missing and there is no terminal to ask", async () => {
    const sandbox = createSandbox();
    const result = await setup(sandbox, { RESEND_API_KEY: "re_key" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /setup:cloudflare stopped: EMAIL_FROM is needed: set it in the environment \(e\.g\. EMAIL_FROM="Latchkey <login@yourdomain\.com>"\)/);
    assert.equal(sandbox.toml(), shippedToml());
    assert.deepEqual(sandbox.takeCalls(), ["whoami --json", "auth token --json"]);
  });

  it("when the account has no workers.dev subdomain and APP_URL isn't given", async () => {
    const sandbox = createSandbox({ accounts: [{ id: "acc-no-subdomain", name: "New account" }] });
    const result = await setup(sandbox, { EMAIL_FROM: FROM, RESEND_API_KEY: "re_key" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /APP_URL is needed/);
    assert.equal(sandbox.toml(), shippedToml());
  });

  it("when the Worker's secrets can't be listed (rather than replace secrets in use)", async () => {
    const sandbox = createSandbox({ workerExists: true, secrets: { SESSION_SECRET: "x".repeat(43) } });
    const result = await setup(sandbox, { APP_URL: "https://auth.example.org", EMAIL_FROM: FROM, RESEND_API_KEY: "re_key", FAKE_WRANGLER_FAIL: "secret list" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /couldn't list the Worker's secrets/);
    assert.ok(!sandbox.takeCalls().some((c) => c.startsWith("secret put")));
    assert.equal(sandbox.toml(), shippedToml());
  });

  it("when wrangler isn't logged in and can't ask", async () => {
    const sandbox = createSandbox({ loggedIn: false });
    const result = await setup(sandbox, { EMAIL_FROM: FROM, RESEND_API_KEY: "re_key" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /not logged in to Cloudflare: run npx wrangler login/);
    assert.deepEqual(sandbox.takeCalls(), ["whoami --json"]);
  });

  it("when an answer from the environment is the example value", async () => {
    const sandbox = createSandbox();
    const result = await setup(sandbox, { APP_URL: "https://latchkey.example.com", EMAIL_FROM: FROM, RESEND_API_KEY: "re_key" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /APP_URL from the environment: that's the example address; use your own/);
  });
});

describe("the wrangler.toml editor", () => {
  it("keeps a trailing comment and the indentation of the line it changes", () => {
    const toml = '[vars]\n  APP_URL = "https://a.example" # where people sign in\n';
    assert.equal(setValue(toml, VARS, "APP_URL", "https://b.example"), '[vars]\n  APP_URL = "https://b.example" # where people sign in\n');
  });

  it("finds the [[d1_databases]] entry by its binding, not the first one", () => {
    const toml = '[[d1_databases]]\nbinding = "OTHER"\ndatabase_id = "x"\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_id = "y"\n';
    assert.equal(readValue(toml, D1, "database_id"), "y");
    assert.match(setValue(toml, D1, "database_id", "z"), /binding = "OTHER"\ndatabase_id = "x"[\s\S]*binding = "DB"\ndatabase_id = "z"/);
  });

  it("ignores commented-out keys", () => {
    assert.equal(readValue('[vars]\n# GITHUB_CLIENT_ID = "abc"\n', VARS, "GITHUB_CLIENT_ID"), undefined);
  });
});
