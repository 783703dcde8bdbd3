/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): which app asked, and where the browser
 * may go afterwards. Only a post_logout_redirect_uri registered for the app named by `id_token_hint` (or
 * `client_id`) is ever redirected to; anything else gets our own page.
 */
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import { findEnabledClient } from "./clients.server";
import { publishedKeysQuery } from "./keys.server";
import { readIdTokenHint } from "./tokens.server";

export type LogoutProblem = "invalid-id-token-hint" | "client-mismatch" | "unidentified-client" | "unregistered-post-logout-uri";

export interface LogoutRequest {
  clientName: string | null;
  /** The registered post-logout URI with `state`, or null: stay on Latchkey. */
  returnTo: string | null;
  problem: LogoutProblem | null;
}

export async function inspectLogoutRequest(deps: { db: Database; config: AppConfig; now: () => Date }, query: URLSearchParams): Promise<LogoutRequest> {
  const hint = query.get("id_token_hint");
  const clientIdParam = query.get("client_id");
  const postLogoutUri = query.get("post_logout_redirect_uri");
  const problem = (why: LogoutProblem): LogoutRequest => ({ clientName: null, returnTo: null, problem: why });

  let clientId = clientIdParam;
  if (hint) {
    const keys = await publishedKeysQuery(deps.db, deps.now());
    const claims = await readIdTokenHint(hint, { keys, issuer: deps.config.appUrl });
    if (!claims) return problem("invalid-id-token-hint");
    if (clientIdParam !== null && clientIdParam !== claims.aud) return problem("client-mismatch");
    clientId = claims.aud;
  }
  const client = clientId && clientId.length <= 128 ? await findEnabledClient(deps.db, clientId) : null;
  if (!postLogoutUri) return { clientName: client?.name ?? null, returnTo: null, problem: null };
  if (!clientId) return problem("unidentified-client");
  // Exact match with the registered list, as for redirect URIs (OP-2).
  if (!client || !client.postLogoutRedirectUris.includes(postLogoutUri)) return problem("unregistered-post-logout-uri");
  const returnTo = new URL(postLogoutUri);
  const state = query.get("state");
  if (state !== null) returnTo.searchParams.append("state", state);
  return { clientName: client.name, returnTo: returnTo.href, problem: null };
}
