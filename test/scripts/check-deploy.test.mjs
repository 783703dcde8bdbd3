// `npm run deploy` refuses wrangler.toml's shipped placeholders before building or uploading anything,
// and says exactly what to set; a configured wrangler.toml goes on to build and `wrangler deploy`.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { findDeployProblems } from "../../scripts/check-deploy.mjs";
import { appendArrayTable, D1, KV, setValue, VARS } from "../../scripts/lib/wrangler-toml.mjs";
import { createSandbox, REPO, shippedToml } from "./sandbox.mjs";

/** wrangler.toml after setup:cloudflare: real ids, APP_URL and EMAIL_FROM. */
function configuredToml(toml = shippedToml()) {
  toml = setValue(toml, VARS, "APP_URL", "https://latchkey.acme.workers.dev");
  toml = setValue(toml, VARS, "EMAIL_FROM", "Latchkey <login@mail.example.org>");
  toml = setValue(toml, D1, "database_id", "11111111-2222-3333-4444-555555555555");
  return setValue(toml, KV, "id", "aaaabbbbccccddddeeeeffff00001111");
}

describe("the deploy check", () => {
  it("refuses each shipped placeholder with the fix", () => {
    const problems = findDeployProblems(shippedToml());
    assert.equal(problems.length, 4);
    assert.match(problems[0], /^APP_URL is still "https:\/\/latchkey\.example\.com"\. Set it in wrangler\.toml \[vars\] to the address people will open: https:\/\/latchkey\.<your-subdomain>\.workers\.dev/);
    assert.match(problems[1], /^EMAIL_FROM is still "Latchkey <login@latchkey\.example\.com>"\. Set it in wrangler\.toml \[vars\] to an address on your verified sending domain/);
    assert.match(problems[2], /^The D1 database_id \(binding "DB"\) is still all zeros\. .*npx wrangler d1 create latchkey/);
    assert.match(problems[3], /^The KV namespace id \(binding "RATE_LIMITS"\) is still all zeros\. .*npx wrangler kv namespace create latchkey-rate-limits/);
  });

  it("passes wrangler.toml once setup has filled it in", () => {
    assert.deepEqual(findDeployProblems(configuredToml()), []);
  });

  it("refuses the outbox, which would keep sign-in links in D1", () => {
    const problems = findDeployProblems(setValue(configuredToml(), VARS, "EMAIL_PROVIDER", "outbox"));
    assert.deepEqual(problems.length, 1);
    assert.match(problems[0], /^EMAIL_PROVIDER is "outbox", which keeps sign-in emails in the database instead of sending them/);
  });

  it("refuses Cloudflare Email Service without its send_email binding, and accepts it with one", () => {
    const cloudflare = setValue(configuredToml(), VARS, "EMAIL_PROVIDER", "cloudflare");
    assert.match(findDeployProblems(cloudflare)[0], /no \[\[send_email\]\] binding named "EMAIL"/);
    assert.deepEqual(findDeployProblems(appendArrayTable(cloudflare, "send_email", [], { name: "EMAIL" })), []);
  });
});

describe("npm run deploy", () => {
  it("is the check, then the build, then wrangler deploy", () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
    assert.equal(scripts.deploy, "node scripts/check-deploy.mjs && remix vite:build && wrangler deploy");
  });

  it("stops before building or uploading when wrangler.toml has the shipped placeholders", async () => {
    const sandbox = createSandbox();
    sandbox.addPackage();
    const result = await sandbox.run("npm", ["run", "--silent", "deploy"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /npm run deploy stopped before uploading anything: wrangler\.toml isn't ready for a deployment/);
    assert.match(result.stderr, /• APP_URL is still "https:\/\/latchkey\.example\.com"/);
    assert.match(result.stderr, /The quickest fix: npm run setup:cloudflare/);
    assert.equal(existsSync(join(sandbox.dir, "remix.log")), false, "no build");
    assert.deepEqual(sandbox.takeCalls(), [], "no wrangler call at all");
  });

  it("builds and deploys once wrangler.toml is configured", async () => {
    const sandbox = createSandbox();
    sandbox.addPackage();
    writeFileSync(join(sandbox.dir, "wrangler.toml"), configuredToml());
    const result = await sandbox.run("npm", ["run", "--silent", "deploy"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(sandbox.dir, "remix.log"), "utf8"), "remix vite:build\n");
    assert.deepEqual(sandbox.takeCalls(), ["deploy"]);
  });
});
