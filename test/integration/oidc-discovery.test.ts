import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeProtectedHeader } from "jose";
import worker from "~/dev/worker";
import { rotateSigningKeys } from "~/provider/keys.server";
import { db, testConfig } from "../helpers/deps";
import { Browser } from "../helpers/browser";
import { authorizationCode, authorizePath, getJson, pkce, registerClient, signInToApp, userinfo } from "../helpers/oidc";
import { scheduleKeyRetirementSql } from "../../scripts/lib/client-sql.mjs";

const DAY = 24 * 60 * 60 * 1000;

describe("GET /.well-known/openid-configuration", () => {
  it("describes the provider with APP_URL as the issuer, S256 only, code flow only", async () => {
    const response = await getJson("/.well-known/openid-configuration");
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(await response.json()).toMatchObject({
      issuer: "https://latchkey.test",
      authorization_endpoint: "https://latchkey.test/oauth/authorize",
      token_endpoint: "https://latchkey.test/oauth/token",
      userinfo_endpoint: "https://latchkey.test/oauth/userinfo",
      jwks_uri: "https://latchkey.test/.well-known/jwks.json",
      revocation_endpoint: "https://latchkey.test/oauth/revoke",
      end_session_endpoint: "https://latchkey.test/oauth/logout",
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
      id_token_signing_alg_values_supported: ["ES256", "EdDSA"],
      scopes_supported: ["openid", "email", "profile", "offline_access"],
      request_uri_parameter_supported: false,
      authorization_response_iss_parameter_supported: true,
    });
  });
});

describe("GET /.well-known/jwks.json", () => {
  it("publishes an ES256 and an EdDSA public key with kid, cacheably, and never a private part", async () => {
    const response = await getJson("/.well-known/jwks.json");
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=300");
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys.map((k) => [k.alg, k.kty, k.use])).toEqual([
      ["ES256", "EC", "sig"],
      ["EdDSA", "OKP", "sig"],
    ]);
    for (const key of keys) {
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(key.d).toBeUndefined();
    }
  });

  it("stores private keys only encrypted", async () => {
    await getJson("/.well-known/jwks.json");
    const { results } = await env.DB.prepare("SELECT public_jwk, encrypted_private_jwk FROM oauth_signing_keys").all<Record<string, string>>();
    expect(results).toHaveLength(2);
    for (const row of results) {
      expect(JSON.parse(row.public_jwk!).d).toBeUndefined();
      expect(row.encrypted_private_jwk).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
      expect(row.encrypted_private_jwk).not.toContain('"d"');
    }
  });
});

describe("key rotation", () => {
  async function runCron(at: number) {
    await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "17 3 * * *" }), env as Env);
  }
  const kids = async () => ((await (await getJson("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

  it("keeps tokens signed before a rotation verifiable, and the old key published next to the new one", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const oldKid = decodeProtectedHeader(tokens.access_token).kid!;
    // (The cron itself would also purge this session, 31 days on: rotate directly.)
    await rotateSigningKeys({ db, config: testConfig(), now: () => new Date() });
    const published = await kids();
    expect(published).toHaveLength(4);
    expect(published).toContain(oldKid);
    expect((await userinfo(tokens.access_token)).status).toBe(200);
  });

  it("leaves a fresh key alone on the daily cron, and rotates one that is 30 days old", async () => {
    await getJson("/.well-known/jwks.json");
    await runCron(Date.now() + DAY);
    expect(await kids()).toHaveLength(2);
    await runCron(Date.now() + 30 * DAY + 60_000);
    expect(await kids()).toHaveLength(4);
  });

  it("`npm run keys -- rotate` schedules the current keys' retirement and the Worker publishes successors", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const before = await kids();
    await env.DB.prepare(scheduleKeyRetirementSql(Date.now() + 21 * 60_000)).run();
    const after = await kids();
    expect(after).toHaveLength(4);
    expect(after).toEqual(expect.arrayContaining(before));
    // Still signing with the old key while the new one is too young to be in every cached JWKS.
    const { tokens: next } = await signInToApp(client);
    expect(decodeProtectedHeader(next.access_token).kid).toBe(decodeProtectedHeader(tokens.access_token).kid);
  });

  it("with --now, drops a leaked key at once: tokens it signed stop verifying", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    await env.DB.prepare(scheduleKeyRetirementSql(Date.now())).run();
    expect((await userinfo(tokens.access_token)).status).toBe(401);
    const { tokens: next } = await signInToApp(client);
    expect((await userinfo(next.access_token)).status).toBe(200);
  });

  it("purges retired keys, codes a day past expiry and abandoned requests on the daily cron", async () => {
    const client = await registerClient();
    const { challenge } = await pkce();
    await new Browser().get(authorizePath(client, challenge));
    await authorizationCode(client);
    const retired = await kids();
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("UPDATE oauth_signing_keys SET retire_at = ?1").bind(now - 1000),
      env.DB.prepare("UPDATE oauth_authorization_requests SET expires_at = ?1").bind(now - 1000),
      env.DB.prepare("UPDATE oauth_authorization_codes SET expires_at = ?1").bind(now - DAY - 1000),
    ]);
    await runCron(now);
    const { results } = await env.DB.prepare("SELECT id FROM oauth_signing_keys").all<{ id: string }>();
    expect(results.map((r) => r.id).filter((id) => retired.includes(id))).toEqual([]);
    for (const table of ["oauth_authorization_requests", "oauth_authorization_codes"]) {
      expect(await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first("n")).toBe(0);
    }
  });
});
