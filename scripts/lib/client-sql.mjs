// The SQL behind `npm run clients` and `npm run keys`, as plain functions (no Node APIs) so the
// integration tests run exactly these statements against D1. They mirror the Worker's owner modules
// (app/provider/clients.server.ts, keys.server.ts, grants.server.ts); `wrangler d1 execute` takes no
// bound parameters, so every value is validated first and then quoted as an SQL string literal.

/** 'it''s': SQLite string literal. Values are validated before they get here; this is the second line. */
export function quote(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  const text = String(value);
  if (/[\u0000]/.test(text)) throw new Error("NUL characters aren't allowed");
  return `'${text.replaceAll("'", "''")}'`;
}

export const SCOPES = ["openid", "email", "profile", "offline_access"];

/** Why `uri` can't be a redirect URI (https, or http on loopback; no fragment), or null. */
export function redirectUriProblem(uri) {
  let url;
  try {
    url = new URL(uri);
  } catch {
    return `${uri} isn't a URL`;
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) return `${uri} must be https (http only on localhost)`;
  if (url.hash || uri.includes("#")) return `${uri} must not have a fragment`;
  if (url.username || url.password) return `${uri} must not carry credentials`;
  return null;
}

export function clientIdProblem(id) {
  return /^[A-Za-z0-9._~-]{3,64}$/.test(id) ? null : "client ids are 3–64 characters of A–Z a–z 0–9 . _ ~ -";
}

/**
 * INSERT for a new client. `secretHash` is the hex SHA-256 of the secret (null: a public client).
 * With `upsert`, an existing client of that id is updated instead (used to seed the local demo client).
 */
export function addClientSql(client, { upsert = false } = {}) {
  const columns = {
    id: client.id,
    name: client.name,
    secret_hash: client.secretHash ?? null,
    redirect_uris: JSON.stringify(client.redirectUris),
    post_logout_redirect_uris: JSON.stringify(client.postLogoutUris ?? []),
    first_party: client.firstParty ? 1 : 0,
    scopes: client.scopes ?? SCOPES.join(" "),
    audience: client.audience ?? null,
    signing_alg: client.signingAlg ?? "ES256",
    created_at: client.createdAt,
    disabled_at: null,
  };
  const names = Object.keys(columns);
  let sql = `INSERT INTO oauth_clients (${names.join(", ")}) VALUES (${names.map((n) => quote(columns[n])).join(", ")})`;
  if (upsert) {
    const kept = names.filter((n) => n !== "id" && n !== "created_at");
    sql += ` ON CONFLICT (id) DO UPDATE SET ${kept.map((n) => `${n} = excluded.${n}`).join(", ")}`;
  }
  return `${sql};`;
}

export const LIST_CLIENTS_SQL =
  "SELECT id, name, secret_hash IS NOT NULL AS confidential, first_party, redirect_uris, post_logout_redirect_uris, scopes, audience, signing_alg, created_at, disabled_at FROM oauth_clients ORDER BY created_at;";

/** A new secret for a confidential client; the old one stops working at once. Public clients stay public. */
export function rotateSecretSql(id, secretHash) {
  return `UPDATE oauth_clients SET secret_hash = ${quote(secretHash)} WHERE id = ${quote(id)} AND secret_hash IS NOT NULL RETURNING id;`;
}

/**
 * Disabling a client: it can't start a sign-in or use a token any more, and everything it holds is
 * deleted now (grants and their refresh tokens, unredeemed codes, waiting requests).
 */
export function disableClientSql(id, now) {
  const client = quote(id);
  return [
    `UPDATE oauth_clients SET disabled_at = ${quote(now)} WHERE id = ${client} AND disabled_at IS NULL;`,
    `DELETE FROM oauth_refresh_tokens WHERE grant_id IN (SELECT id FROM oauth_grants WHERE client_id = ${client});`,
    `DELETE FROM oauth_grants WHERE client_id = ${client};`,
    `DELETE FROM oauth_authorization_codes WHERE client_id = ${client};`,
    `DELETE FROM oauth_authorization_requests WHERE client_id = ${client};`,
  ];
}

export const LIST_KEYS_SQL = "SELECT id, alg, created_at, retire_at FROM oauth_signing_keys ORDER BY created_at;";

/**
 * Key rotation from outside the Worker: the private keys are encrypted under a secret only the Worker
 * has, so this can't make the successor itself. It schedules the current keys' retirement; the Worker
 * makes and publishes successors on its next JWKS or token request, and keeps signing with the current
 * key until the successor has been published long enough (see app/provider/keys.server.ts).
 * `retireAt` = now + the retirement delay, or now for an emergency (tokens it signed stop verifying).
 */
export function scheduleKeyRetirementSql(retireAt) {
  return `UPDATE oauth_signing_keys SET retire_at = ${quote(retireAt)} WHERE retire_at IS NULL OR retire_at > ${quote(retireAt)} RETURNING id, alg;`;
}
