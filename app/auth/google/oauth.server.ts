/**
 * Talking OAuth to Google (or the local stand-in): the authorization URL for the redirect flow and the
 * code exchange, with arctic's generic OAuth2Client so the endpoints come from config (arctic's `Google`
 * client hard-codes Google's). OpenID Connect on top: `scope=openid email profile`, a `nonce`, and the
 * ID token from the token response, which id-token.server.ts verifies.
 *
 * Neither the PKCE verifier nor the nonce is stored: both are derived from the state with the server
 * secret (HMAC-SHA-256, as for GitHub, decision 004). The state is random, single use (its cookie ends
 * with the callback) and bound to this browser; without the secret it says nothing about the other two.
 */
import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { CodeChallengeMethod, OAuth2Client, OAuth2RequestError } from "arctic";
import { encodeBase64Url } from "~/lib/crypto.server";
import { withinDeadline } from "~/lib/deadline";
import type { GoogleConfig } from "~/lib/env.server";
import { GoogleUnavailableError } from "./id-token.server";

/** The identity and a verified email, nothing more (no Google API access). */
export const GOOGLE_SCOPES = ["openid", "email", "profile"];

/** HMAC-SHA-256(secret, label:state), 43 base64url characters (RFC 7636 wants 43–128 for a verifier). */
export function deriveFromState(secret: string, label: "pkce" | "nonce", state: string): string {
  const encoder = new TextEncoder();
  return encodeBase64Url(hmac(SHA256, encoder.encode(secret), encoder.encode(`latchkey-google-${label}:${state}`)));
}

/**
 * The authorize URL (OA-1, OA-2): the exact registered redirect_uri, state, PKCE S256, nonce, and
 * `prompt=select_account` so someone signed in to several Google accounts picks one deliberately.
 */
export function googleAuthorizationUrl(google: GoogleConfig, { state, secret }: { state: string; secret: string }): URL {
  const client = new OAuth2Client(google.clientId, google.clientSecret, google.redirectUri);
  const url = client.createAuthorizationURLWithPKCE(
    google.authorizationEndpoint,
    state,
    CodeChallengeMethod.S256,
    deriveFromState(secret, "pkce", state),
    GOOGLE_SCOPES,
  );
  url.searchParams.set("nonce", deriveFromState(secret, "nonce", state));
  url.searchParams.set("prompt", "select_account");
  return url;
}

/**
 * Exchanges the code for tokens and returns the ID token. Throws OAuth2RequestError when Google refuses
 * (a used or expired code is `invalid_grant`), GoogleUnavailableError for timeouts, network errors,
 * other statuses and unreadable answers.
 */
export async function exchangeGoogleCode(
  google: GoogleConfig,
  { code, state, secret, timeoutMs }: { code: string; state: string; secret: string; timeoutMs: number },
): Promise<string> {
  const client = new OAuth2Client(google.clientId, google.clientSecret, google.redirectUri);
  let data: Record<string, unknown>;
  try {
    const tokens = await withinDeadline(
      timeoutMs,
      () => client.validateAuthorizationCode(google.tokenEndpoint, code, deriveFromState(secret, "pkce", state)),
      () => new GoogleUnavailableError("timeout"),
    );
    data = tokens.data as Record<string, unknown>;
  } catch (error) {
    if (error instanceof OAuth2RequestError || error instanceof GoogleUnavailableError) throw error;
    throw new GoogleUnavailableError(`token request failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof data.id_token !== "string" || data.id_token === "") throw new GoogleUnavailableError("token response without id_token");
  return data.id_token;
}
