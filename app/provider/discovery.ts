/** The discovery document (OpenID Connect Discovery 1.0, RFC 8414) for an issuer at `appUrl`. */
import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR, SUPPORTED_CLAIMS, SUPPORTED_SCOPES } from "./claims";
import { SIGNING_ALGS } from "./keys.server";

export function discoveryDocument(appUrl: string) {
  const at = (path: string) => new URL(path, appUrl).href;
  const clientAuth = ["client_secret_basic", "client_secret_post", "none"];
  return {
    issuer: appUrl,
    authorization_endpoint: at("/oauth/authorize"),
    token_endpoint: at("/oauth/token"),
    userinfo_endpoint: at("/oauth/userinfo"),
    jwks_uri: at("/.well-known/jwks.json"),
    revocation_endpoint: at("/oauth/revoke"),
    end_session_endpoint: at("/oauth/logout"),
    scopes_supported: [...SUPPORTED_SCOPES],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: SIGNING_ALGS,
    token_endpoint_auth_methods_supported: clientAuth,
    revocation_endpoint_auth_methods_supported: clientAuth,
    code_challenge_methods_supported: ["S256"],
    claims_supported: SUPPORTED_CLAIMS,
    prompt_values_supported: ["none", "login", "consent"],
    acr_values_supported: [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    // Discovery's default for this one is true: say it isn't.
    request_uri_parameter_supported: false,
    authorization_response_iss_parameter_supported: true,
  };
}
