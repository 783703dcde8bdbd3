// `npm run clients -- add|list|rotate-secret|disable [--remote]`: the apps that may sign people in
// through Latchkey (docs/oidc-provider.md). Works on the local D1 by default and on the deployed
// one with --remote. A client secret is printed once and only its SHA-256 is stored.
import { createHash, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { runD1 } from "./lib/d1.mjs";
import {
  addClientSql,
  clientIdProblem,
  disableClientSql,
  LIST_CLIENTS_SQL,
  redirectUriProblem,
  rotateSecretSql,
  SCOPES,
} from "./lib/client-sql.mjs";

const USAGE = `Usage:
  npm run clients -- add --name "My App" --redirect-uri https://app.example.com/callback [options]
      --redirect-uri URI        repeatable; exact match, https (http only on localhost)
      --post-logout-uri URI     repeatable; where /oauth/logout may send people afterwards
      --public                  no secret: a browser or mobile app (PKCE alone)
      --first-party             yours: skips the consent page
      --scopes "openid email"   what it may ask for (default: ${SCOPES.join(" ")})
      --audience URI            the aud of its access tokens, for an API (default: the client id)
      --alg ES256|EdDSA         how its tokens are signed (default ES256)
      --id CLIENT_ID            choose the client id (default: generated)
  npm run clients -- list
  npm run clients -- rotate-secret CLIENT_ID
  npm run clients -- disable CLIENT_ID     revokes every token it holds, at once
Add --remote to work on the deployed database instead of the local one.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: "string" },
    "redirect-uri": { type: "string", multiple: true },
    "post-logout-uri": { type: "string", multiple: true },
    public: { type: "boolean" },
    "first-party": { type: "boolean" },
    scopes: { type: "string" },
    audience: { type: "string" },
    alg: { type: "string" },
    id: { type: "string" },
    remote: { type: "boolean" },
    help: { type: "boolean" },
  },
});

const fail = (message) => {
  console.error(message);
  process.exit(1);
};
const remote = values.remote === true;
const where = remote ? "the deployed database" : "the local database";
const sha256 = (value) => createHash("sha256").update(value).digest("hex");
const newSecret = () => randomBytes(32).toString("base64url");

const [command, target] = positionals;
switch (command) {
  case "add": {
    if (!values.name) fail(`--name is required.\n\n${USAGE}`);
    const redirectUris = values["redirect-uri"] ?? [];
    if (redirectUris.length === 0) fail(`At least one --redirect-uri is required.\n\n${USAGE}`);
    const postLogoutUris = values["post-logout-uri"] ?? [];
    for (const uri of [...redirectUris, ...postLogoutUris]) {
      const problem = redirectUriProblem(uri);
      if (problem) fail(problem);
    }
    const scopes = (values.scopes ?? SCOPES.join(" ")).split(/\s+/).filter(Boolean);
    if (!scopes.includes("openid") || scopes.some((s) => !SCOPES.includes(s))) fail(`--scopes must include openid and only ${SCOPES.join(", ")}`);
    if (values.alg && !["ES256", "EdDSA"].includes(values.alg)) fail("--alg must be ES256 or EdDSA");
    if (values.audience && !/^https:\/\/\S+$/.test(values.audience)) fail("--audience must be an https URI");
    const id = values.id ?? `${values.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 24) || "app"}-${randomBytes(4).toString("hex")}`;
    const idProblem = clientIdProblem(id);
    if (idProblem) fail(idProblem);
    const secret = values.public ? null : newSecret();
    runD1(
      addClientSql({
        id,
        name: values.name,
        secretHash: secret && sha256(secret),
        redirectUris,
        postLogoutUris,
        firstParty: values["first-party"] === true,
        scopes: scopes.join(" "),
        audience: values.audience ?? null,
        signingAlg: values.alg ?? "ES256",
        createdAt: Date.now(),
      }),
      { remote },
    );
    console.log(`Added "${values.name}" to ${where}.\n\n  client_id:     ${id}`);
    if (secret) console.log(`  client_secret: ${secret}\n\nThe secret is shown this once; only its hash is stored. Keep it on the app's server.`);
    else console.log("\nA public client: it has no secret and must use PKCE (every client must).");
    break;
  }
  case "list": {
    const [rows] = runD1(LIST_CLIENTS_SQL, { remote });
    if (rows.length === 0) console.log(`No clients in ${where}.`);
    for (const row of rows) {
      const kind = [row.confidential ? "confidential" : "public", row.first_party ? "first-party" : "third-party", row.disabled_at ? "DISABLED" : null];
      console.log(`${row.id}  ${row.name}  (${kind.filter(Boolean).join(", ")})`);
      console.log(`    redirect URIs: ${JSON.parse(row.redirect_uris).join(" ")}`);
      const after = JSON.parse(row.post_logout_redirect_uris);
      if (after.length) console.log(`    post-logout:   ${after.join(" ")}`);
      console.log(`    scopes: ${row.scopes}; signs ${row.signing_alg}${row.audience ? `; audience ${row.audience}` : ""}`);
    }
    break;
  }
  case "rotate-secret": {
    if (!target) fail(USAGE);
    const secret = newSecret();
    const [rows] = runD1(rotateSecretSql(target, sha256(secret)), { remote });
    if (rows.length === 0) fail(`No confidential client "${target}" in ${where}.`);
    console.log(`New secret for ${target} (the old one no longer works):\n\n  client_secret: ${secret}\n\nShown this once; only its hash is stored.`);
    break;
  }
  case "disable": {
    if (!target) fail(USAGE);
    const results = runD1(disableClientSql(target, Date.now()), { remote });
    console.log(`Disabled ${target} in ${where}; its tokens and grants are revoked (${results.length} statements ran).`);
    break;
  }
  default:
    console.log(USAGE);
    process.exit(values.help || !command ? 0 : 1);
}
