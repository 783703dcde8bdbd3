/**
 * Relying parties ("clients") and how they prove who they are at the token and revocation endpoints:
 * `client_secret_basic` or `client_secret_post` for confidential clients (OP-6), the client id alone for
 * public ones, whose codes PKCE protects. Owner of the oauth_clients table in the Worker; the
 * `npm run clients` command (scripts/clients.mjs) writes the same table from outside.
 */
import { and, eq, isNull } from "drizzle-orm";
import { oauthClients, type OAuthClient } from "~/db/schema";
import type { Database } from "~/lib/db.server";
import { sha256Hex } from "~/lib/crypto.server";

export type { OAuthClient };

/** An enabled client by id, or null. */
export function enabledClientQuery(db: Database, clientId: string) {
  return db
    .select()
    .from(oauthClients)
    .where(and(eq(oauthClients.id, clientId), isNull(oauthClients.disabledAt)))
    .limit(1);
}

/** A client's display name (enabled or not), for the security log. */
export function clientNameQuery(db: Database, clientId: string) {
  return db.select({ name: oauthClients.name }).from(oauthClients).where(eq(oauthClients.id, clientId)).limit(1);
}

export async function findEnabledClient(db: Database, clientId: string): Promise<OAuthClient | null> {
  const [client] = await enabledClientQuery(db, clientId);
  return client ?? null;
}

export type ClientAuthentication =
  | { ok: true; client: OAuthClient }
  | { ok: false; error: "invalid_request" | "invalid_client"; description: string; clientId: string | null };

/** Client ids are printable and short; anything else can't be one of ours. */
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Reads the client's credentials from the request (RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id
 * and secret, or both in the body; never both ways at once) and checks them against D1.
 */
export async function authenticateClient(
  db: Database,
  { authorization, form }: { authorization: string | null; form: URLSearchParams },
): Promise<ClientAuthentication> {
  const basic = parseBasic(authorization);
  const bodyId = form.get("client_id");
  const bodySecret = form.get("client_secret");
  const refuse = (error: "invalid_request" | "invalid_client", description: string, clientId: string | null = null) =>
    ({ ok: false, error, description, clientId }) as const;

  if (basic === "malformed") return refuse("invalid_client", "The Authorization header isn't valid HTTP Basic credentials.");
  if (basic && bodySecret !== null) return refuse("invalid_request", "Use one client authentication method, not two.");
  if (basic && bodyId !== null && bodyId !== basic.id) return refuse("invalid_request", "client_id doesn't match the Authorization header.");
  const clientId = basic?.id ?? bodyId;
  const secret = basic?.secret ?? bodySecret;
  if (!clientId) return refuse("invalid_client", "Send client_id (public clients) or client credentials.");
  if (!CLIENT_ID.test(clientId)) return refuse("invalid_client", "Unknown client.", null);

  const client = await findEnabledClient(db, clientId);
  if (!client) return refuse("invalid_client", "Unknown or disabled client.", clientId);
  if (client.secretHash === null) {
    // A public client has nothing to authenticate with; sending a secret means it's misconfigured.
    return secret === null ? { ok: true, client } : refuse("invalid_client", "This is a public client: send no secret.", clientId);
  }
  if (secret === null) return refuse("invalid_client", "This client must authenticate with its secret.", clientId);
  // Hex SHA-256 of a 256-bit secret on both sides: comparing them leaks nothing usable, but compare fully anyway.
  if (!equalHex(await sha256Hex(secret), client.secretHash)) return refuse("invalid_client", "Wrong client secret.", clientId);
  return { ok: true, client };
}

function parseBasic(header: string | null): { id: string; secret: string } | "malformed" | null {
  if (!header || !/^basic /i.test(header)) return null;
  try {
    const decoded = atob(header.slice(6).trim());
    const colon = decoded.indexOf(":");
    if (colon < 0) return "malformed";
    // RFC 6749 §2.3.1: both parts are form-urlencoded before they're joined.
    const unform = (part: string) => decodeURIComponent(part.replaceAll("+", " "));
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return "malformed";
  }
}

function equalHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
