import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SignJWT, generateKeyPair } from "jose";
import { publishedKeysQuery, signerFor } from "~/provider/keys.server";
import { signAccessToken } from "~/provider/tokens.server";
import { db, testConfig } from "../helpers/deps";
import { getJson, postForm, refresh, registerClient, signInToApp, userinfo } from "../helpers/oidc";

/** An access token for the same grant as `like`, signed by Latchkey's key but issued at `at`. */
async function accessTokenIssuedAt(like: string, at: Date) {
  const claims = JSON.parse(atob(like.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/")));
  const deps = { db, config: testConfig(), now: () => at };
  const signer = await signerFor(deps, await publishedKeysQuery(db, at), "ES256");
  return signAccessToken(signer, {
    issuer: "https://latchkey.test",
    facts: { grantId: claims.gid, clientId: claims.client_id, userId: claims.sub, sessionId: "s", scope: claims.scope, authTime: at, method: "link" },
    audience: claims.aud,
    scope: claims.scope,
    now: at,
  });
}

describe("/oauth/userinfo", () => {
  it("answers GET with the claims of the token's scopes", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const response = await userinfo(tokens.access_token);
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const claims = (await response.json()) as Record<string, unknown>;
    const user = await env.DB.prepare("SELECT id FROM users").first<{ id: string }>();
    expect(claims).toEqual({ sub: user!.id, email: "ada@example.com", email_verified: true });
  });

  it("releases no email without the email scope", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client, { params: { scope: "openid" } });
    expect(Object.keys((await (await userinfo(tokens.access_token)).json()) as object)).toEqual(["sub"]);
  });

  it("adds the linked GitHub account's name, login and picture for the profile scope", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const user = await env.DB.prepare("SELECT id FROM users").first<{ id: string }>();
    await env.DB.prepare(
      "INSERT INTO identities (id, user_id, provider, provider_user_id, login, name, avatar_url, created_at, updated_at) VALUES ('idn_1', ?1, 'github', '1001', 'ada', 'Ada Lovelace', 'https://avatars.githubusercontent.com/u/1001', 0, 0)",
    )
      .bind(user!.id)
      .run();
    expect(await (await userinfo(tokens.access_token)).json()).toMatchObject({
      name: "Ada Lovelace",
      preferred_username: "ada",
      picture: "https://avatars.githubusercontent.com/u/1001",
    });
  });

  it("answers POST with the token in the form body", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const response = await postForm("/oauth/userinfo", { access_token: tokens.access_token });
    expect(response.status).toBe(200);
  });

  it("answers a request without a token with 401 and a Bearer challenge", async () => {
    const response = await getJson("/oauth/userinfo");
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="latchkey"');
  });

  it("refuses the token sent twice (header and body)", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const response = await postForm("/oauth/userinfo", { access_token: tokens.access_token }, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(response.status).toBe(400);
  });

  it("refuses an expired access token with invalid_token", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const expired = await accessTokenIssuedAt(tokens.access_token, new Date(Date.now() - 601_000));
    const response = await userinfo(expired);
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
    expect(((await response.json()) as { error_description: string }).error_description).toContain("expired");
  });

  it("accepts an access token still within its ten minutes", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    expect((await userinfo(await accessTokenIssuedAt(tokens.access_token, new Date(Date.now() - 590_000)))).status).toBe(200);
  });

  it("refuses a token signed by a key that isn't Latchkey's, even with the right kid", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const [header, payload] = tokens.access_token.split(".");
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT(JSON.parse(atob(payload!.replaceAll("-", "+").replaceAll("_", "/"))))
      .setProtectedHeader(JSON.parse(atob(header!.replaceAll("-", "+").replaceAll("_", "/"))))
      .sign(privateKey);
    expect((await userinfo(forged)).status).toBe(401);
  });

  it("refuses an ID token in place of an access token (wrong typ)", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    expect((await userinfo(tokens.id_token!)).status).toBe(401);
  });

  it("refuses a token without the openid scope with 403 insufficient_scope", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client, { params: { scope: "openid email offline_access" } });
    const narrowed = (await (await refresh(client, tokens.refresh_token!, { scope: "email" })).json()) as { access_token: string };
    const response = await userinfo(narrowed.access_token);
    expect(response.status).toBe(403);
    expect(response.headers.get("WWW-Authenticate")).toContain('error="insufficient_scope"');
  });
});

describe("POST /oauth/revoke (RFC 7009)", () => {
  it("revokes a refresh token and, with it, the grant's access tokens at userinfo", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const response = await postForm("/oauth/revoke", { token: tokens.refresh_token!, token_type_hint: "refresh_token" }, { basic: client });
    expect(response.status).toBe(200);
    expect((await refresh(client, tokens.refresh_token!)).status).toBe(400);
    expect((await userinfo(tokens.access_token)).status).toBe(401);
  });

  it("revokes through an access token too, whatever the hint says", async () => {
    const client = await registerClient({ secret: null });
    const { tokens } = await signInToApp(client);
    const response = await postForm("/oauth/revoke", { token: tokens.access_token, token_type_hint: "refresh_token", client_id: client.id });
    expect(response.status).toBe(200);
    expect((await refresh(client, tokens.refresh_token!)).status).toBe(400);
  });

  it("answers 200 for an unknown token", async () => {
    const client = await registerClient();
    expect((await postForm("/oauth/revoke", { token: "not-a-token" }, { basic: client })).status).toBe(200);
  });

  it("won't let a client revoke another client's token", async () => {
    const client = await registerClient();
    const other = await registerClient();
    const { tokens } = await signInToApp(client);
    const response = await postForm("/oauth/revoke", { token: tokens.refresh_token! }, { basic: other });
    expect(response.status).toBe(400);
    expect((await refresh(client, tokens.refresh_token!)).status).toBe(200);
  });

  it("requires client authentication", async () => {
    const client = await registerClient();
    const { tokens } = await signInToApp(client);
    const response = await postForm("/oauth/revoke", { token: tokens.refresh_token! }, { basic: { id: client.id, secret: "wrong" } });
    expect(response.status).toBe(401);
    expect((await refresh(client, tokens.refresh_token!)).status).toBe(200);
  });
});
