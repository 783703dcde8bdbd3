/**
 * A relying party nobody here wrote: oauth4webapi (standards-strict) drives the whole flow against the
 * Worker, with its HTTP calls routed to the Worker's fetch. The browser's part (following the redirect
 * with a session cookie) is played by the tests' Browser.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as oauth from "oauth4webapi";
import { createRemoteJWKSet, customFetch as joseFetch, jwtVerify } from "jose";
import worker from "~/dev/worker";
import { REDIRECT_URI, registerClient, signedInBrowser } from "../helpers/oidc";

const issuer = new URL("https://latchkey.test");

/** What oauth4webapi and jose call instead of the network: the Worker itself. */
async function toWorker(url: string, init: { method?: string; headers?: Headers | Record<string, string>; body?: BodyInit | null }) {
  const ctx = createExecutionContext();
  const request = new Request(url, { method: init.method, headers: init.headers, body: init.body, redirect: "manual" });
  const response = await worker.fetch(request, env as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}
const viaWorker = { [oauth.customFetch]: toWorker };

async function discover() {
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, viaWorker));
}

describe("oauth4webapi as the relying party", () => {
  it("discovers, authorizes with PKCE and nonce, redeems, validates the ID token, calls userinfo, refreshes and revokes", async () => {
    const registered = await registerClient({ name: "oauth4webapi app" });
    const as = await discover();
    const client: oauth.Client = { client_id: registered.id };
    const clientAuth = oauth.ClientSecretBasic(registered.secret!);

    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const authorizationUrl = new URL(as.authorization_endpoint!);
    authorizationUrl.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      scope: "openid email profile offline_access",
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
    }).toString();

    // The browser: signed in to Latchkey, it follows the authorization URL and is redirected back.
    const browser = await signedInBrowser("ada@example.com");
    const redirect = await browser.get(authorizationUrl.pathname + authorizationUrl.search);
    expect(redirect.status).toBe(302);
    const callback = oauth.validateAuthResponse(as, client, new URL(redirect.headers.get("Location")!), state);

    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, callback, REDIRECT_URI, codeVerifier, viaWorker);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims).toMatchObject({ iss: "https://latchkey.test", aud: client.client_id, email: "ada@example.com", nonce });
    // oauth4webapi trusts the token endpoint's TLS for the ID token; check the signature against the JWKS too.
    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!), { [joseFetch]: toWorker });
    await jwtVerify(tokens.id_token!, jwks, { issuer: as.issuer, audience: client.client_id });

    const info = await oauth.processUserInfoResponse(as, client, claims.sub, await oauth.userInfoRequest(as, client, tokens.access_token, viaWorker));
    expect(info).toMatchObject({ sub: claims.sub, email: "ada@example.com", email_verified: true });

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, viaWorker),
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(oauth.getValidatedIdTokenClaims(refreshed)!.sub).toBe(claims.sub);

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token!, viaWorker));
    const afterRevoke = oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token!, viaWorker);
    await expect(afterRevoke.then((response) => oauth.processRefreshTokenResponse(as, client, response))).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  it("works for a public client with PKCE alone (token_endpoint_auth_method none)", async () => {
    const registered = await registerClient({ secret: null });
    const as = await discover();
    const client: oauth.Client = { client_id: registered.id, token_endpoint_auth_method: "none" };
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const query = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      scope: "openid",
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
    });
    const browser = await signedInBrowser("ada@example.com");
    const redirect = await browser.get(`/oauth/authorize?${query}`);
    const callback = oauth.validateAuthResponse(as, client, new URL(redirect.headers.get("Location")!), state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, REDIRECT_URI, codeVerifier, viaWorker);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
    expect(tokens.refresh_token).toBeUndefined();
    expect(oauth.getValidatedIdTokenClaims(tokens)!.email).toBeUndefined();
  });

  it("surfaces an authorization error to the app as oauth4webapi expects (state and iss checked)", async () => {
    const registered = await registerClient({ firstParty: false });
    const as = await discover();
    const client: oauth.Client = { client_id: registered.id };
    const state = oauth.generateRandomState();
    const query = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      scope: "openid",
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: "S256",
      state,
      prompt: "none",
    });
    const redirect = await (await signedInBrowser("ada@example.com")).get(`/oauth/authorize?${query}`);
    expect(() => oauth.validateAuthResponse(as, client, new URL(redirect.headers.get("Location")!), state)).toThrow(
      expect.objectContaining({ error: "consent_required" }),
    );
  });
});
