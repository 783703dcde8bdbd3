import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { fetchWithEnv } from "../helpers/app";
import {
  authorizationCode,
  exchangeCode,
  getJson,
  postForm,
  refresh,
  registerClient,
  signInToApp,
  userinfo,
  type TestClient,
} from "../helpers/oidc";

const jwks = async () => createLocalJWKSet(await (await getJson("/.well-known/jwks.json")).json());

async function errorOf(response: Response) {
  return { status: response.status, ...((await response.json()) as { error: string; error_description: string }) };
}

describe("POST /oauth/token: redeeming a code", () => {
  it("returns an access token, an ID token and a refresh token for a confidential client", async () => {
    const client = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    const response = await exchangeCode(client, { code, verifier });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600, scope: "openid email profile offline_access" });
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { payload, protectedHeader } = await jwtVerify(body.id_token!, await jwks(), { issuer: "https://latchkey.test", audience: client.id });
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({ email: "ada@example.com", email_verified: true, nonce: "nonce-456", amr: ["email"], acr: "urn:latchkey:acr:1fa" });
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(typeof payload.sid).toBe("string");
    // `sub` is the stable user id, never the email (OP-5).
    const user = await env.DB.prepare("SELECT id FROM users WHERE email = 'ada@example.com'").first<{ id: string }>();
    expect(payload.sub).toBe(user!.id);
    expect(decodeProtectedHeader(body.access_token!)).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(decodeJwt(body.access_token!)).toMatchObject({ aud: client.id, client_id: client.id, sub: user!.id, scope: "openid email profile offline_access" });
  });

  it("lets a public client redeem with PKCE alone", async () => {
    const client = await registerClient({ secret: null });
    const { code, verifier } = await authorizationCode(client);
    const response = await exchangeCode(client, { code, verifier });
    expect(response.status).toBe(200);
  });

  it("accepts client_secret_post as well as client_secret_basic", async () => {
    const client = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    const response = await postForm("/oauth/token", {
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: "https://app.example/callback",
      client_id: client.id,
      client_secret: client.secret!,
    });
    expect(response.status).toBe(200);
  });

  it("issues no refresh token without offline_access", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client, { params: { scope: "openid email" } });
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe("openid email");
  });

  it("puts a configured API audience in the access token and keeps the ID token's audience the client", async () => {
    const client = await registerClient({ audience: "https://api.example" });
    const { tokens } = await signInToApp(client);
    expect(decodeJwt(tokens.access_token).aud).toBe("https://api.example");
    expect(decodeJwt(tokens.id_token!).aud).toBe(client.id);
  });

  it("gives an API verifying access tokens as the README shows its own tokens, and refuses another audience's", async () => {
    const client = await registerClient({ audience: "https://api.example" });
    const other = await registerClient({ audience: "https://other-api.example" });
    const { tokens } = await signInToApp(client);
    const { tokens: foreign } = await signInToApp(other);
    const options = { issuer: "https://latchkey.test", audience: "https://api.example", typ: "at+jwt", algorithms: ["ES256", "EdDSA"] };
    const { payload } = await jwtVerify(tokens.access_token, await jwks(), options);
    expect(payload.scope).toBe("openid email profile offline_access");
    await expect(jwtVerify(foreign.access_token, await jwks(), options)).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "aud" });
    // …and one past its ten minutes.
    await expect(jwtVerify(tokens.access_token, await jwks(), { ...options, currentDate: new Date(Date.now() + 601_000) })).rejects.toMatchObject({
      code: "ERR_JWT_EXPIRED",
    });
  });

  it("signs with EdDSA for a client registered for it", async () => {
    const client = await registerClient({ signingAlg: "EdDSA" });
    const { tokens } = await signInToApp(client);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe("EdDSA");
    await jwtVerify(tokens.id_token!, await jwks(), { issuer: "https://latchkey.test", audience: client.id });
  });

  it("answers with amr mfa and the multi-factor acr for a session that used a second factor", async () => {
    const client = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    await env.DB.prepare("UPDATE oauth_authorization_codes SET method = 'code+totp'").run();
    const tokens = (await (await exchangeCode(client, { code, verifier })).json()) as { id_token: string };
    expect(decodeJwt(tokens.id_token)).toMatchObject({ amr: ["email", "otp", "mfa"], acr: "urn:latchkey:acr:mfa" });
  });
});

describe("POST /oauth/token: cost", () => {
  it("redeems a code in two D1 round trips once the keys exist: the client, then one batch", async () => {
    const client = await registerClient({ secret: null });
    const { code, verifier } = await authorizationCode(client);
    await getJson("/.well-known/jwks.json");
    const form = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: "https://app.example/callback", client_id: client.id };
    const request = new Request("https://latchkey.test/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
    const response = await fetchWithEnv(request, { BENCH_COUNT_QUERIES: "true" });
    expect(response.status).toBe(200);
    expect(response.headers.get("X-D1-Queries")).toBe("2");
  });
});

describe("POST /oauth/token: a code is good once, for its client, redirect URI and verifier (OP-3)", () => {
  it("refuses a code's second use and revokes what the first use issued", async () => {
    const client = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    const first = (await (await exchangeCode(client, { code, verifier })).json()) as { access_token: string; refresh_token: string };
    expect((await userinfo(first.access_token)).status).toBe(200);

    const second = await errorOf(await exchangeCode(client, { code, verifier }));
    expect(second).toMatchObject({ status: 400, error: "invalid_grant" });
    expect(second.error_description).toContain("already used");
    expect((await errorOf(await refresh(client, first.refresh_token))).error).toBe("invalid_grant");
    expect((await userinfo(first.access_token)).status).toBe(401);
  });

  it("lets exactly one of 20 parallel redemptions win (TOK-3)", async () => {
    const client = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    const results = await Promise.all(Array.from({ length: 20 }, () => exchangeCode(client, { code, verifier })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(19);
  });

  it("refuses a wrong code_verifier (PKCE), and the code is dead afterwards even with the right one", async () => {
    const client = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    const wrong = await errorOf(await exchangeCode(client, { code, verifier: "x".repeat(43) }));
    expect(wrong).toMatchObject({ status: 400, error: "invalid_grant" });
    expect(wrong.error_description).toContain("code_verifier");
    expect((await exchangeCode(client, { code, verifier })).status).toBe(400);
  });

  it("refuses a redirect_uri other than the authorization request's", async () => {
    const client = await registerClient({ redirectUris: ["https://app.example/callback", "https://app.example/other"] });
    const { code, verifier } = await authorizationCode(client);
    const response = await errorOf(await exchangeCode(client, { code, verifier, redirectUri: "https://app.example/other" }));
    expect(response).toMatchObject({ status: 400, error: "invalid_grant" });
    expect(response.error_description).toContain("redirect_uri");
  });

  it("refuses a code issued to another client", async () => {
    const client = await registerClient();
    const other = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    expect(await errorOf(await exchangeCode(other, { code, verifier }))).toMatchObject({ status: 400, error: "invalid_grant" });
  });

  it("refuses a code after its 60 seconds", async () => {
    const client = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    await env.DB.prepare("UPDATE oauth_authorization_codes SET expires_at = ?1").bind(Date.now() - 1000).run();
    const response = await errorOf(await exchangeCode(client, { code, verifier }));
    expect(response).toMatchObject({ status: 400, error: "invalid_grant" });
    expect(response.error_description).toContain("expired");
  });

  it("refuses a code whose Latchkey session ended before it was redeemed", async () => {
    const client = await registerClient();
    const { code, verifier, browser } = await authorizationCode(client);
    await browser.post("/logout", {});
    expect((await errorOf(await exchangeCode(client, { code, verifier }))).error).toBe("invalid_grant");
  });

  it("refuses a code_verifier that isn't 43–128 unreserved characters as a malformed request", async () => {
    const client = await registerClient();
    const { code } = await authorizationCode(client);
    expect((await errorOf(await exchangeCode(client, { code, verifier: "short" }))).error).toBe("invalid_request");
  });
});

describe("POST /oauth/token: client authentication (OP-6)", () => {
  async function withCode(client: TestClient) {
    const { code, verifier } = await authorizationCode(client);
    return { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: "https://app.example/callback" };
  }

  it("answers a wrong secret with 401 invalid_client and a Basic challenge", async () => {
    const client = await registerClient();
    const response = await postForm("/oauth/token", await withCode(client), { basic: { id: client.id, secret: "wrong" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Basic realm="latchkey"/);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_client");
  });

  it("refuses a confidential client that sends no secret", async () => {
    const client = await registerClient();
    const response = await postForm("/oauth/token", { ...(await withCode(client)), client_id: client.id });
    expect(await errorOf(response)).toMatchObject({ status: 401, error: "invalid_client" });
  });

  it("refuses an unknown client and a disabled one", async () => {
    const client = await registerClient();
    const form = await withCode(client);
    expect((await postForm("/oauth/token", form, { basic: { id: "nobody", secret: "x" } })).status).toBe(401);
    await env.DB.prepare("UPDATE oauth_clients SET disabled_at = ?1").bind(Date.now()).run();
    expect((await postForm("/oauth/token", form, { basic: client })).status).toBe(401);
  });

  it("refuses a public client that sends a secret", async () => {
    const client = await registerClient({ secret: null });
    const response = await postForm("/oauth/token", { ...(await withCode(client)), client_id: client.id, client_secret: "anything" });
    expect(await errorOf(response)).toMatchObject({ status: 401, error: "invalid_client" });
  });

  it("refuses two authentication methods at once", async () => {
    const client = await registerClient();
    const response = await postForm("/oauth/token", { ...(await withCode(client)), client_secret: client.secret! }, { basic: client });
    expect(await errorOf(response)).toMatchObject({ status: 400, error: "invalid_request" });
  });

  it("stores only the secret's SHA-256", async () => {
    const client = await registerClient();
    const row = await env.DB.prepare("SELECT * FROM oauth_clients").first();
    expect(JSON.stringify(row)).not.toContain(client.secret);
  });

  it("slows down secret guessing per IP after LIMIT_IP_VERIFY failures, without counting successes", async () => {
    const client = await registerClient();
    const form = await withCode(client);
    const wrong = { id: client.id, secret: "wrong" };
    for (let i = 0; i < 30; i++) expect((await postForm("/oauth/token", form, { basic: wrong, ip: "203.0.113.66" })).status).toBe(401);
    const limited = await postForm("/oauth/token", form, { basic: client, ip: "203.0.113.66" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Another address is unaffected, and the right secret still works there.
    expect((await postForm("/oauth/token", form, { basic: client, ip: "203.0.113.67" })).status).toBe(200);
    const logged = await env.DB.prepare("SELECT count(*) AS n FROM auth_events WHERE type = 'client_auth_failed'").first("n");
    expect(logged).toBe(30);
  });
});

describe("POST /oauth/token: malformed requests (OP-7)", () => {
  it("answers an unknown grant_type with unsupported_grant_type and a missing one with invalid_request", async () => {
    const client = await registerClient();
    expect((await errorOf(await postForm("/oauth/token", { grant_type: "password" }, { basic: client }))).error).toBe("unsupported_grant_type");
    expect((await errorOf(await postForm("/oauth/token", {}, { basic: client }))).error).toBe("invalid_request");
  });

  it("refuses a JSON body", async () => {
    const client = await registerClient();
    const response = await postForm("/oauth/token", {}, { basic: client, headers: { "Content-Type": "application/json" } });
    expect(await errorOf(response)).toMatchObject({ status: 400, error: "invalid_request" });
  });

  it("answers GET with a JSON 405", async () => {
    const response = await getJson("/oauth/token");
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST");
  });

  it("allows cross-origin calls without credentials (public clients in browsers)", async () => {
    const response = await postForm("/oauth/token", {}, { headers: { Origin: "https://spa.example" } });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Access-Control-Allow-Credentials")).toBeNull();
  });
});

describe("POST /oauth/token: refresh tokens (OP-4)", () => {
  it("rotates: a refresh answers with new tokens and a new refresh token, keeping auth_time and dropping the nonce", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const response = await refresh(client, tokens.refresh_token!);
    expect(response.status).toBe(200);
    const next = (await response.json()) as { refresh_token: string; id_token: string; access_token: string };
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    const first = decodeJwt(tokens.id_token!);
    const renewed = decodeJwt(next.id_token);
    expect(renewed.auth_time).toBe(first.auth_time);
    expect(renewed.sub).toBe(first.sub);
    expect(renewed.nonce).toBeUndefined();
    expect((await userinfo(next.access_token)).status).toBe(200);
  });

  it("revokes the whole family when a used refresh token comes back", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const next = (await (await refresh(client, tokens.refresh_token!)).json()) as { refresh_token: string; access_token: string };
    const reuse = await errorOf(await refresh(client, tokens.refresh_token!));
    expect(reuse).toMatchObject({ status: 400, error: "invalid_grant" });
    expect(reuse.error_description).toContain("already used");
    expect((await refresh(client, next.refresh_token)).status).toBe(400);
    expect((await userinfo(next.access_token)).status).toBe(401);
  });

  it("lets one of 10 parallel refreshes with the same token win", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(client, tokens.refresh_token!)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it("refuses another client's refresh token without revoking it", async () => {
    const client = await registerClient();
    const other = await registerClient();
    const { tokens } = await signInToApp(client);
    expect((await errorOf(await refresh(other, tokens.refresh_token!))).error).toBe("invalid_grant");
    expect((await refresh(client, tokens.refresh_token!)).status).toBe(200);
  });

  it("narrows the scope of one access token on request, and refuses to widen it", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client, { params: { scope: "openid email offline_access" } });
    const narrowed = (await (await refresh(client, tokens.refresh_token!, { scope: "openid" })).json()) as { access_token: string; refresh_token: string; scope: string };
    expect(narrowed.scope).toBe("openid");
    expect(decodeJwt(narrowed.access_token).scope).toBe("openid");
    expect((await errorOf(await refresh(client, narrowed.refresh_token, { scope: "openid profile" }))).error).toBe("invalid_scope");
  });

  it("counts as activity of the Latchkey session (last seen moves, at most hourly)", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    await env.DB.prepare("UPDATE sessions SET last_seen_at = last_seen_at - 7200000").run();
    const before = (await env.DB.prepare("SELECT last_seen_at AS t FROM sessions").first<{ t: number }>())!.t;
    await refresh(client, tokens.refresh_token!);
    const after = (await env.DB.prepare("SELECT last_seen_at AS t FROM sessions").first<{ t: number }>())!.t;
    expect(after - before).toBeGreaterThan(7_000_000);
  });

  it("stores only refresh tokens' SHA-256 (TOK-2)", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const { results } = await env.DB.prepare("SELECT * FROM oauth_refresh_tokens").all();
    expect(JSON.stringify(results)).not.toContain(tokens.refresh_token);
  });
});
