import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Unit and integration tests run inside workerd against real local D1 and KV (miniflare), with the
// bindings from wrangler.toml and the local entry (app/dev/worker.ts: the deployed app plus the outbox,
// the stand-ins and the dev mailbox the suites read mail from). Tests of the deployed entry itself
// import ~/worker. The Remix server build must exist first: `npm test` builds it.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        main: "./app/dev/worker.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            APP_URL: "https://latchkey.test",
            EMAIL_PROVIDER: "outbox",
            EMAIL_FROM: "Latchkey <login@latchkey.test>",
            SESSION_SECRET: "test-secret-0123456789abcdef0123456789abcdef",
            TOTP_ENCRYPTION_KEY: "test-totp-key-0123456789abcdef0123456789abcdef",
          },
          // The burst gates (wrangler.toml [[ratelimits]]) are simulated too; most suites send more from one
          // IP than a person would, so they get roomy limits here, and the gate's own tests use TEST_BURST.
          ratelimits: {
            SEND_BURST: { simple: { limit: 10_000, period: 60 } },
            GUESS_BURST: { simple: { limit: 10_000, period: 60 } },
            TEST_BURST: { simple: { limit: 3, period: 60 } },
          },
          // Cloudflare Email Service as wrangler dev simulates it (it only logs); tests of the cloudflare
          // provider hand calls to it after recording them. The allow-list is what setup:cloudflare writes.
          email: { send_email: [{ name: "EMAIL", allowed_sender_addresses: ["login@latchkey.test"] }] },
          // Any request that escapes the fetch spies fails loudly instead of reaching the network.
          outboundService: (request: Request) =>
            new Response(`Blocked outbound request in tests: ${request.url}`, { status: 599 }),
        },
      }),
    ],
    resolve: { alias: { "~": new URL("./app", import.meta.url).pathname } },
    test: {
      include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      deps: { optimizer: { ssr: { enabled: true, include: ["@remix-run/cloudflare"] } } },
    },
  };
});
