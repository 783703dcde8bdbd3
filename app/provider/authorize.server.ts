/**
 * The authorization endpoint's decisions (RFC 6749 §4.1, OIDC Core §3.1.2, RFC 7636, RFC 9207): check
 * the request, then sign-in, re-authentication, consent, or a code for the app. Owner of the
 * oauth_authorization_requests table, where a request waits while the person signs in or decides.
 *
 * Errors about the client or its redirect URI are shown on our own page and never redirected anywhere
 * (OP-2, RFC 6749 §4.1.2.1); every other error goes back to the registered redirect URI with `error`,
 * `state` and `iss`.
 */
import type { AuthDeps } from "~/auth/deps";
import { and, eq, gt, isNull, lte } from "drizzle-orm";
import { oauthAuthorizationRequests as requests, oauthClients, type OAuthAuthorizationRequest } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { generateToken } from "~/lib/crypto.server";
import type { SignedIn } from "~/auth/session/signed-in.server";
import { stepUpPath } from "~/auth/two-factor/step-up.server";
import { recordAuthEvent } from "~/auth/audit/events.server";
import { formatScope, grantableScopes, scopeWords } from "./claims";
import { findEnabledClient, type OAuthClient } from "./clients.server";
import { consentCovers } from "./consents.server";
import { prepareAuthorizationCode } from "./grants.server";

/** Long enough to open the sign-in email (10 minutes) and read a consent page, short enough to forget. */
export const AUTHORIZATION_REQUEST_LIFETIME_MS = 60 * 60 * 1000;

/** The parts of AuthDeps this needs. */
export type AuthorizeDeps = Pick<AuthDeps, "db" | "config" | "now" | "waitUntil">;

/** Problems shown on Latchkey's own error page: there is no redirect URI we may trust. */
export type AuthorizePageProblem = "missing-client" | "unknown-client" | "missing-redirect-uri" | "unregistered-redirect-uri" | "expired-request";

export type AuthorizeOutcome =
  | { kind: "problem"; problem: AuthorizePageProblem }
  /** Back to the app's registered redirect URI, with a code or an error. */
  | { kind: "to-app"; location: string; clientName: string }
  /** Somewhere in Latchkey first (sign-in, step-up, consent), then back to `/oauth/authorize?resume=…`. */
  | { kind: "interaction"; location: string };

/** A request that passed validation: from the query string, or stored while the person was away. */
interface ValidRequest {
  client: OAuthClient;
  redirectUri: string;
  scope: string;
  state: string | null;
  nonce: string | null;
  codeChallenge: string;
  prompt: string[];
  maxAge: number | null;
  loginHint: string | null;
  stored: Pick<OAuthAuthorizationRequest, "id" | "authAfter" | "consentedBy" | "deniedAt"> | null;
}

type Parsed = { ok: true; request: ValidRequest } | { ok: false; outcome: AuthorizeOutcome };

/** Parameters that may appear at most once (RFC 6749 §3.1). */
const SINGLE_VALUED = [
  "client_id",
  "redirect_uri",
  "response_type",
  "response_mode",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "prompt",
  "max_age",
  "login_hint",
  "request",
  "request_uri",
];
const PROMPTS = new Set(["none", "login", "consent", "select_account"]);
/** S256 of a verifier is 32 bytes: 43 base64url characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * GET /oauth/authorize. `query` is the request's query string; `?resume=<id>` continues a stored request
 * after sign-in, step-up or consent.
 */
export async function authorize(
  deps: AuthorizeDeps,
  { query, signedIn, client }: { query: URLSearchParams; signedIn: SignedIn | null; client: ClientInfo },
): Promise<AuthorizeOutcome> {
  const resumeId = query.get("resume");
  const parsed = resumeId !== null ? await loadStoredRequest(deps, resumeId) : await parseRequest(deps, query);
  if (!parsed.ok) return parsed.outcome;
  return decide(deps, parsed.request, signedIn, client);
}

async function parseRequest(deps: AuthorizeDeps, query: URLSearchParams): Promise<Parsed> {
  const page = (problem: AuthorizePageProblem): Parsed => ({ ok: false, outcome: { kind: "problem", problem } });
  const clientIds = query.getAll("client_id");
  if (clientIds.length === 0 || !clientIds[0]) return page("missing-client");
  if (clientIds.length > 1) return page("unknown-client");
  const client = clientIds[0].length <= 128 ? await findEnabledClient(deps.db, clientIds[0]) : null;
  if (!client) return page("unknown-client");
  const redirectUris = query.getAll("redirect_uri");
  if (redirectUris.length === 0) return page("missing-redirect-uri");
  // Exact string comparison with the registered list: no normalisation, no wildcards (OP-2).
  if (redirectUris.length > 1 || !client.redirectUris.includes(redirectUris[0]!)) return page("unregistered-redirect-uri");
  const redirectUri = redirectUris[0]!;

  // From here on errors go back to the app, which can show them and start again.
  const state = query.get("state");
  const refuse = (error: string, description: string): Parsed => ({
    ok: false,
    outcome: toApp(deps.config, { client, redirectUri, state }, { error, error_description: description }),
  });
  const repeated = SINGLE_VALUED.find((name) => query.getAll(name).length > 1);
  if (repeated) return refuse("invalid_request", `${repeated} was sent more than once.`);
  if (query.has("request")) return refuse("request_not_supported", "Request objects aren't supported; send the parameters in the query.");
  if (query.has("request_uri")) return refuse("request_uri_not_supported", "request_uri isn't supported; send the parameters in the query.");
  const responseType = query.get("response_type");
  if (!responseType) return refuse("invalid_request", "response_type is missing; use response_type=code.");
  if (responseType !== "code") return refuse("unsupported_response_type", "Only the authorization code flow is supported: response_type=code.");
  const responseMode = query.get("response_mode");
  if (responseMode !== null && responseMode !== "query") return refuse("invalid_request", "Only response_mode=query is supported.");
  // PKCE S256 for every client, confidential ones too (OP-1, RFC 9700 §2.1.1); "plain" is refused.
  const challenge = query.get("code_challenge");
  const method = query.get("code_challenge_method");
  if (!challenge) return refuse("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256.");
  if (method !== "S256") return refuse("invalid_request", "code_challenge_method must be S256.");
  if (!S256_CHALLENGE.test(challenge)) return refuse("invalid_request", "code_challenge must be the base64url SHA-256 of the verifier (43 characters).");
  const requested = scopeWords(query.get("scope"));
  if (!requested.includes("openid")) return refuse("invalid_scope", "Ask for the openid scope.");
  const granted = grantableScopes(requested, client.scopes);
  if (!granted.includes("openid")) return refuse("invalid_scope", "This client may not ask for openid.");
  const prompt = scopeWords(query.get("prompt"));
  if (prompt.some((value) => !PROMPTS.has(value))) return refuse("invalid_request", "prompt may only contain none, login, consent or select_account.");
  if (prompt.includes("none") && prompt.length > 1) return refuse("invalid_request", "prompt=none can't be combined with other values.");
  const maxAgeText = query.get("max_age");
  if (maxAgeText !== null && !/^\d{1,9}$/.test(maxAgeText)) return refuse("invalid_request", "max_age must be a whole number of seconds.");
  const nonce = query.get("nonce");
  if ((state?.length ?? 0) > 2048 || (nonce?.length ?? 0) > 512) return refuse("invalid_request", "state or nonce is too long.");
  const loginHint = query.get("login_hint");

  return {
    ok: true,
    request: {
      client,
      redirectUri,
      scope: formatScope(granted),
      state,
      nonce,
      codeChallenge: challenge,
      prompt,
      maxAge: maxAgeText === null ? null : Number(maxAgeText),
      loginHint: loginHint && loginHint.length <= 320 ? loginHint : null,
      stored: null,
    },
  };
}

async function decide(deps: AuthorizeDeps, request: ValidRequest, signedIn: SignedIn | null, clientInfo: ClientInfo): Promise<AuthorizeOutcome> {
  const now = deps.now();
  const back = (error: string, description: string) => toApp(deps.config, request, { error, error_description: description });
  const silent = request.prompt.includes("none");
  if (request.stored?.deniedAt) return back("access_denied", "The person declined to share their account with this app.");

  if (!signedIn) {
    if (silent) return back("login_required", "Nobody is signed in to Latchkey in this browser.");
    const id = await keepRequest(deps, request, {});
    const params = new URLSearchParams({ redirectTo: resumePath(id) });
    if (request.loginHint) params.set("email", request.loginHint);
    return { kind: "interaction", location: `/login?${params}` };
  }

  const { session, user } = signedIn;
  const authenticatedAt = (session.authenticatedAt ?? session.createdAt).getTime();
  // A fresh sign-in is due for prompt=login and for a max_age that has passed; once asked for, only a
  // sign-in after that moment satisfies this request (no loop back to the same question).
  const freshSignInDue = request.stored?.authAfter
    ? authenticatedAt < request.stored.authAfter.getTime()
    : request.prompt.includes("login") || (request.maxAge !== null && now.getTime() - authenticatedAt > request.maxAge * 1000);
  if (freshSignInDue) {
    if (silent) return back("login_required", "The app asked for a recent sign-in; the person must sign in again.");
    const id = await keepRequest(deps, request, { authAfter: request.stored?.authAfter ?? now });
    return { kind: "interaction", location: stepUpPath(resumePath(id)) };
  }

  const approvedHere = request.stored?.consentedBy === user.id;
  const consentDue =
    !approvedHere &&
    (request.prompt.includes("consent") ||
      (!request.client.firstParty && !(await consentCovers(deps.db, { userId: user.id, clientId: request.client.id, scope: request.scope }))));
  if (consentDue) {
    if (silent) return back("consent_required", "The person hasn't allowed this app yet.");
    const id = await keepRequest(deps, request, {});
    return { kind: "interaction", location: `/oauth/consent?${new URLSearchParams({ resume: id })}` };
  }

  const { code, statement } = await prepareAuthorizationCode(
    deps.db,
    {
      clientId: request.client.id,
      userId: user.id,
      sessionId: session.id,
      redirectUri: request.redirectUri,
      scope: request.scope,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      authTime: new Date(authenticatedAt),
      method: session.method,
    },
    now,
  );
  // The stored request is done: a second visit to its resume URL must not mint another code.
  if (request.stored) await deps.db.batch([statement, deps.db.delete(requests).where(eq(requests.id, request.stored.id))]);
  else await statement;
  recordAuthEvent(deps, { type: "app_authorized", detail: request.client.name.slice(0, 100), userId: user.id, client: clientInfo });
  return toApp(deps.config, request, { code });
}

/** The redirect back to the app (RFC 6749 §4.1.2): parameters, `state` unchanged, and `iss` (RFC 9207). */
function toApp(
  config: Pick<AppConfig, "appUrl">,
  request: Pick<ValidRequest, "client" | "redirectUri" | "state">,
  params: Record<string, string>,
): AuthorizeOutcome {
  const url = new URL(request.redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
  if (request.state !== null) url.searchParams.append("state", request.state);
  url.searchParams.append("iss", config.appUrl);
  return { kind: "to-app", location: url.href, clientName: request.client.name };
}

export function resumePath(id: string): string {
  return `/oauth/authorize?${new URLSearchParams({ resume: id })}`;
}

// --- stored requests --------------------------------------------------------------------------------------

/** Stores the request (or updates the stored one) and returns its id. */
async function keepRequest(deps: AuthorizeDeps, request: ValidRequest, { authAfter }: { authAfter?: Date }): Promise<string> {
  if (request.stored) {
    if (authAfter && request.stored.authAfter?.getTime() !== authAfter.getTime()) {
      await deps.db.update(requests).set({ authAfter }).where(eq(requests.id, request.stored.id));
    }
    return request.stored.id;
  }
  const now = deps.now();
  const id = generateToken(16);
  await deps.db.insert(requests).values({
    id,
    clientId: request.client.id,
    redirectUri: request.redirectUri,
    scope: request.scope,
    state: request.state,
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    prompt: request.prompt.join(" ") || null,
    maxAge: request.maxAge,
    authAfter: authAfter ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + AUTHORIZATION_REQUEST_LIFETIME_MS),
  });
  return id;
}

/** A stored request and its (still enabled) client, or null when unknown or expired. */
export async function findStoredRequest(db: Database, id: unknown, now: Date) {
  if (typeof id !== "string" || !/^[A-Za-z0-9_-]{22,64}$/.test(id)) return null;
  const [row] = await db
    .select({ request: requests, client: oauthClients })
    .from(requests)
    .innerJoin(oauthClients, eq(oauthClients.id, requests.clientId))
    .where(and(eq(requests.id, id), gt(requests.expiresAt, now), isNull(oauthClients.disabledAt)))
    .limit(1);
  return row ?? null;
}

async function loadStoredRequest(deps: AuthorizeDeps, id: string): Promise<Parsed> {
  const row = await findStoredRequest(deps.db, id, deps.now());
  if (!row) return { ok: false, outcome: { kind: "problem", problem: "expired-request" } };
  const { request, client } = row;
  return {
    ok: true,
    request: {
      client,
      redirectUri: request.redirectUri,
      scope: request.scope,
      state: request.state,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      prompt: scopeWords(request.prompt),
      maxAge: request.maxAge,
      loginHint: null,
      stored: request,
    },
  };
}

/** The consent page's answer, recorded on the stored request for the next visit to its resume URL. */
export function answerStoredRequestStatement(db: Database, id: string, answer: { consentedBy: string } | { deniedAt: Date }) {
  return db.update(requests).set(answer).where(eq(requests.id, id));
}

/** The daily purge: requests nobody came back for. */
export function deleteExpiredRequests(db: Database, now: Date) {
  return db.delete(requests).where(lte(requests.expiresAt, now));
}
