import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { authorizationCode, exchangeCode, getJson, REDIRECT_URI, registerClient, signInToApp } from "../helpers/oidc";

describe("POST /oauth/token with an authorization code", () => {
  it("returns an access token, an ID token and a refresh token for a confidential client", async () => {
    const client = await registerClient();
    const { code, verifier } = await authorizationCode(client);
    const response = await exchangeCode(client, { code, verifier });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600, scope: "openid email profile offline_access" });
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const jwks = createLocalJWKSet(await (await getJson("/.well-known/jwks.json")).json());
    const { payload, protectedHeader } = await jwtVerify(body.id_token as string, jwks, { issuer: "https://latchkey.test", audience: client.id });
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(payload).toMatchObject({ email: "ada@example.com", email_verified: true, nonce: "nonce-456", amr: ["email"] });
    expect(decodeProtectedHeader(body.access_token as string)).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(decodeJwt(body.access_token as string)).toMatchObject({ aud: client.id, client_id: client.id, scope: "openid email profile offline_access" });
  });
});
