/**
 * A small local stand-in for Google's sign-in, so "Continue with Google" and One Tap work on a machine
 * with no Google credentials and no internet. Dev-only: the Worker mounts it only when config.google is
 * the stand-in (no GOOGLE_CLIENT_ID, loopback APP_URL) and the request itself is on a loopback host.
 *
 * It plays Google where sign-in depends on it, so the app's real code runs against it unchanged:
 *   - /o/oauth2/v2/auth    an authorization page: pick a preset person or type one (sub, email,
 *                          email_verified, name, picture, hd); exact client_id and redirect_uri, scope
 *                          openid, state, nonce and PKCE S256 required;
 *   - /token               client secret (Basic or form), one-time code, redirect_uri and PKCE verifier
 *                          checked; answers an ID token signed with the stand-in's own RSA key;
 *   - /oauth2/v3/certs     that key as a JWKS (kept in KV, so it survives restarts and isolates);
 *   - /gsi/client          a stand-in for the Google Identity Services script: `google.accounts.id`
 *                          with initialize/prompt/cancel, a One Tap-like prompt, and a signed credential
 *                          handed to the page's callback (from /gsi/credential).
 * Codes live in KV under a `google-stand-in:` prefix with short TTLs. Malformed requests get a 4xx,
 * never a 500, and every interpolated value is escaped.
 */
import { Hono, type Context } from "hono";
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { GOOGLE_STAND_IN_PATH, type GoogleConfig } from "~/lib/env.server";
import { encodeBase64Url, generateToken, sha256Hex } from "~/lib/crypto.server";
import { escapeHtml } from "~/lib/html";
import { sameOriginPosts } from "~/worker/middleware/same-origin-posts";
import { renderDevPage } from "./page";

export interface GoogleStandInBindings {
  kv: KVNamespace;
  google: GoogleConfig;
  /** The app's stylesheet, so the page looks like the rest of local Latchkey. */
  stylesheet: string | undefined;
}

type StandInEnv = { Bindings: GoogleStandInBindings };

export interface TestGoogleUser {
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  /** Google Workspace domain. */
  hd: string | null;
}

/** Ready-made people: a consumer account, a Workspace account, and one whose email isn't verified. */
export const PRESET_GOOGLE_USERS: TestGoogleUser[] = [
  { sub: "110000000000000000001", email: "ada@example.com", emailVerified: true, name: "Ada Lovelace", picture: null, hd: null },
  { sub: "110000000000000000002", email: "grace@navy.example", emailVerified: true, name: "Grace Hopper", picture: null, hd: "navy.example" },
  { sub: "110000000000000000003", email: "unverified@example.com", emailVerified: false, name: "Unverified Person", picture: null, hd: null },
];

const KEY_PREFIX = "google-stand-in:";
const CODE_TTL_SECONDS = 600;
const ID_TOKEN_LIFETIME_SECONDS = 3600;

interface Grant {
  user: TestGoogleUser;
  codeChallenge: string;
  redirectUri: string;
  nonce: string;
}

/** The authorize request's parameters, kept through the form as hidden fields. */
const OAUTH_PARAMS = ["client_id", "redirect_uri", "state", "scope", "nonce", "code_challenge", "code_challenge_method", "prompt"] as const;
type OAuthParams = Record<(typeof OAUTH_PARAMS)[number], string>;

function readOAuthParams(source: (name: string) => unknown): OAuthParams {
  return Object.fromEntries(OAUTH_PARAMS.map((name) => {
    const value = source(name);
    return [name, typeof value === "string" ? value : ""];
  })) as OAuthParams;
}

/** Why Google would refuse this authorize request, or null. */
function authorizeProblem(google: GoogleConfig, params: OAuthParams): string | null {
  if (params.client_id !== google.clientId) return "Unknown client_id.";
  if (params.redirect_uri !== google.redirectUri) return `redirect_uri must be exactly ${google.redirectUri}.`;
  if (!params.scope.split(" ").includes("openid")) return "The scope must include openid.";
  if (!params.state) return "The request has no state.";
  if (!params.nonce) return "The request has no nonce.";
  if (params.code_challenge_method !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(params.code_challenge)) {
    return "PKCE is required: code_challenge with code_challenge_method=S256.";
  }
  return null;
}

/** A form body, or null when it can't be read (wrong content type, broken multipart): a 4xx, not a 500. */
async function readBody(c: Context<StandInEnv>): Promise<Record<string, string> | null> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return null;
  try {
    const body = await c.req.parseBody();
    return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  } catch {
    return null;
  }
}

function page(c: Context<StandInEnv>, status: 200 | 400, title: string, body: string) {
  return c.html(
    renderDevPage({ title, brand: "Google stand-in", tagline: "local development only", body, stylesheet: c.env.stylesheet }),
    status,
  );
}

const problemPage = (c: Context<StandInEnv>, problem: string) =>
  page(c, 400, "Bad authorization request", `<section class="card"><h1>Bad authorization request</h1><p role="alert">${escapeHtml(problem)}</p></section>`);

function hiddenFields(params: OAuthParams): string {
  return OAUTH_PARAMS.map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params[name])}">`).join("");
}

function field(name: string, label: string, value: string, extra = ""): string {
  return `<div class="field"><label for="${name}">${escapeHtml(label)}</label><input id="${name}" name="${name}" value="${escapeHtml(value)}" ${extra}></div>`;
}

function describeUser(user: TestGoogleUser): string {
  return [user.name ?? "no name", user.email + (user.emailVerified ? "" : " (unverified)"), user.hd ? `Workspace ${user.hd}` : "", `sub ${user.sub}`]
    .filter(Boolean)
    .join(" · ");
}

function authorizePage(c: Context<StandInEnv>, params: OAuthParams, error?: string) {
  const presets = PRESET_GOOGLE_USERS.map(
    (user) => `<li><form method="post" class="preset">${hiddenFields(params)}<input type="hidden" name="preset" value="${escapeHtml(user.sub)}">
<button type="submit" name="decision" value="authorize" class="secondary full">Continue as ${escapeHtml(user.email)}</button>
<span class="muted small">${escapeHtml(describeUser(user))}</span></form></li>`,
  ).join("");
  const alert = error ? `<div class="alert error" role="alert">${escapeHtml(error)}</div>` : "";
  return page(
    c,
    error ? 400 : 200,
    "Choose an account",
    `<section class="card" aria-labelledby="title">
<h1 id="title">Choose an account</h1>
<p class="lead">This is a local stand-in for Google. Latchkey asks for <code>${escapeHtml(params.scope || "(no scope)")}</code>. Pick a test Google account, or describe one.</p>
${alert}
<h2>Test accounts</h2>
<ul class="preset-list">${presets}</ul>
<h2>Someone else</h2>
<form method="post">
${hiddenFields(params)}
${field("sub", "Google account id (sub)", String(120000000000000000000n + BigInt(Math.floor(Math.random() * 1e9))), 'required inputmode="numeric" pattern="[0-9]{1,255}" autocomplete="off"')}
${field("email", "Email", "someone@example.com", 'type="email" required maxlength="254" autocomplete="off"')}
<div class="check"><input type="checkbox" id="email_verified" name="email_verified" value="on" checked><label for="email_verified">Google has verified this email</label></div>
${field("name", "Name (optional)", "Test Person", 'maxlength="100" autocomplete="off"')}
${field("picture", "Picture URL (optional)", "", 'type="url" maxlength="2048" autocomplete="off"')}
${field("hd", "Workspace domain, hd (optional)", "", 'maxlength="253" autocomplete="off"')}
<div class="actions">
<button type="submit" name="decision" value="authorize">Continue</button>
<button type="submit" name="decision" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>
</section>`,
  );
}

/** The typed-in person, or a sentence saying what to fix. */
function customUser(form: Record<string, string>): TestGoogleUser | string {
  const text = (name: string) => (form[name] ?? "").trim();
  const sub = text("sub");
  if (!/^[0-9]{1,255}$/.test(sub)) return "The Google account id (sub) is a string of digits.";
  const email = text("email");
  if (email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email)) return "The email must look like name@example.com.";
  const picture = text("picture");
  if (picture && !/^https?:\/\/\S+$/.test(picture)) return "The picture must be an http(s) URL.";
  const hd = text("hd");
  if (hd && !/^[A-Za-z0-9.-]{1,253}$/.test(hd)) return "The Workspace domain must look like example.com.";
  return { sub, email, emailVerified: text("email_verified") === "on", name: text("name").slice(0, 100) || null, picture: picture || null, hd: hd || null };
}

async function s256(verifier: string): Promise<string> {
  return encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

// --- the signing key ----------------------------------------------------------------------------------

interface SigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

let cachedKey: Promise<SigningKey> | undefined;

/** The stand-in's RSA key: made once, kept in KV so restarts and other isolates publish the same JWKS. */
function signingKey(kv: KVNamespace): Promise<SigningKey> {
  cachedKey ??= (async () => {
    const stored = await kv.get<SigningKey>(`${KEY_PREFIX}signing-key`, "json");
    if (stored) return stored;
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const key: SigningKey = { kid, privateJwk: await exportJWK(privateKey), publicJwk: { ...publicJwk, kid, alg: "RS256", use: "sig" } };
    await kv.put(`${KEY_PREFIX}signing-key`, JSON.stringify(key));
    return key;
  })().catch((error) => {
    cachedKey = undefined;
    throw error;
  });
  return cachedKey;
}

/** An ID token as Google mints them: RS256, kid, iss, azp/aud = the client, sub, email claims, nonce. */
async function idTokenFor(c: Context<StandInEnv>, user: TestGoogleUser, nonce: string): Promise<string> {
  const key = await signingKey(c.env.kv);
  const google = c.env.google;
  const picture = user.picture ?? `${google.issuers[0]}/avatars/${encodeURIComponent(user.sub)}.svg`;
  return new SignJWT({
    azp: google.clientId,
    email: user.email,
    email_verified: user.emailVerified,
    ...(user.name ? { name: user.name, given_name: user.name.split(" ")[0] } : {}),
    picture,
    ...(user.hd ? { hd: user.hd } : {}),
    nonce,
  })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
    .setIssuer(google.issuers[0]!)
    .setAudience(google.clientId)
    .setSubject(user.sub)
    .setIssuedAt()
    .setExpirationTime(`${ID_TOKEN_LIFETIME_SECONDS}s`)
    .sign(await importJWK(key.privateJwk, "RS256"));
}

// --- routes -------------------------------------------------------------------------------------------

export const googleStandIn = new Hono<StandInEnv>().basePath(GOOGLE_STAND_IN_PATH);

googleStandIn.get("/o/oauth2/v2/auth", (c) => {
  const params = readOAuthParams((name) => c.req.query(name));
  const problem = c.req.query("response_type") === "code" ? authorizeProblem(c.env.google, params) : "response_type must be code.";
  return problem ? problemPage(c, problem) : authorizePage(c, params);
});

googleStandIn.post(
  "/o/oauth2/v2/auth",
  sameOriginPosts({ onRejected: (c) => c.text("Cross-site request refused.", 403) }),
  async (c) => {
    const form = await readBody(c);
    if (!form) return problemPage(c, "The form could not be read.");
    const params = readOAuthParams((name) => form[name]);
    const problem = authorizeProblem(c.env.google, params);
    if (problem) return problemPage(c, problem);
    const back = new URL(params.redirect_uri);
    back.searchParams.set("state", params.state);
    if (form.decision === "cancel") {
      back.searchParams.set("error", "access_denied");
      return c.redirect(back.href, 302);
    }
    const user = PRESET_GOOGLE_USERS.find((u) => u.sub === form.preset) ?? customUser(form);
    if (typeof user === "string") return authorizePage(c, params, user);
    const code = `4/${generateToken(24)}`;
    const grant: Grant = { user, codeChallenge: params.code_challenge, redirectUri: params.redirect_uri, nonce: params.nonce };
    await c.env.kv.put(`${KEY_PREFIX}code:${await sha256Hex(code)}`, JSON.stringify(grant), { expirationTtl: CODE_TTL_SECONDS });
    back.searchParams.set("code", code);
    back.searchParams.set("scope", params.scope);
    return c.redirect(back.href, 302);
  },
);

/** Google's token endpoint answers refusals with 400 (401 for the client) and an OAuth error body. */
const tokenError = (c: Context<StandInEnv>, status: 400 | 401, error: string, description: string) =>
  c.json({ error, error_description: description }, status);

function clientCredentials(c: Context<StandInEnv>, form: Record<string, string>): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(c.req.header("Authorization") ?? "");
  if (match) {
    let decoded: string;
    try {
      decoded = atob(match[1]!);
    } catch {
      return null;
    }
    const colon = decoded.indexOf(":");
    return colon < 0 ? null : { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  return form.client_id && form.client_secret ? { id: form.client_id, secret: form.client_secret } : null;
}

googleStandIn.post("/token", async (c) => {
  const form = await readBody(c);
  if (!form) return tokenError(c, 400, "invalid_request", "The request body must be form-encoded.");
  let credentials: { id: string; secret: string } | null;
  try {
    credentials = clientCredentials(c, form);
  } catch {
    credentials = null;
  }
  if (credentials?.id !== c.env.google.clientId || credentials.secret !== c.env.google.clientSecret) {
    return tokenError(c, 401, "invalid_client", "Unauthorized");
  }
  if (form.grant_type !== "authorization_code") return tokenError(c, 400, "unsupported_grant_type", "Invalid grant_type: " + (form.grant_type ?? ""));
  const key = `${KEY_PREFIX}code:${await sha256Hex(form.code ?? "")}`;
  const grant = form.code ? await c.env.kv.get<Grant>(key, "json") : null;
  if (!grant) return tokenError(c, 400, "invalid_grant", "Malformed auth code.");
  // One use, whatever happens next.
  await c.env.kv.delete(key);
  if (form.redirect_uri !== grant.redirectUri) return tokenError(c, 400, "redirect_uri_mismatch", "Bad Request");
  if (!form.code_verifier || (await s256(form.code_verifier)) !== grant.codeChallenge) {
    return tokenError(c, 400, "invalid_grant", "Bad Request");
  }
  return c.json({
    access_token: `ya29.${generateToken(24)}`,
    expires_in: 3599,
    scope: "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
    token_type: "Bearer",
    id_token: await idTokenFor(c, grant.user, grant.nonce),
  });
});

googleStandIn.get("/oauth2/v3/certs", async (c) => {
  const key = await signingKey(c.env.kv);
  return c.json({ keys: [key.publicJwk] });
});

/** The One Tap stand-in's "Continue as …": a signed credential for a preset person and the page's nonce. */
googleStandIn.post(
  "/gsi/credential",
  sameOriginPosts({ onRejected: (c) => c.json({ error: "cross-site request refused" }, 403) }),
  async (c) => {
    const form = await readBody(c);
    if (!form) return c.json({ error: "the request body must be form-encoded" }, 400);
    if (form.client_id !== c.env.google.clientId) return c.json({ error: "unknown client_id" }, 400);
    if (!form.nonce || form.nonce.length > 512) return c.json({ error: "a nonce is required" }, 400);
    const user = PRESET_GOOGLE_USERS.find((u) => u.sub === form.preset);
    if (!user) return c.json({ error: "unknown account" }, 400);
    return c.json({ credential: await idTokenFor(c, user, form.nonce), select_by: "user" });
  },
);

googleStandIn.get("/gsi/client", (c) =>
  c.body(gisStandInScript(GOOGLE_STAND_IN_PATH), 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" }),
);

googleStandIn.get("/gsi/style", (c) => c.body(GIS_STAND_IN_STYLE, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-store" }));

/** A local picture (initial on a colour from the sub), so nothing is fetched from the network. */
googleStandIn.get("/avatars/:file", (c) => {
  const sub = c.req.param("file").replace(/\.svg$/, "");
  const hue = [...sub].reduce((sum, ch) => sum + ch.charCodeAt(0) * 7, 0) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="80" height="80" viewBox="0 0 80 80"><rect width="80" height="80" fill="hsl(${hue} 55% 45%)"/><text x="40" y="53" font-family="sans-serif" font-size="36" text-anchor="middle" fill="#fff">G</text></svg>`;
  return c.body(svg, 200, { "Content-Type": "image/svg+xml", "Cache-Control": "no-store" });
});

googleStandIn.all("*", (c) => c.json({ error: "not_found" }, 404));

// --- the Google Identity Services stand-in --------------------------------------------------------------

const GIS_STAND_IN_STYLE = `
.gsi-stand-in { position: fixed; top: 1rem; right: 1rem; z-index: 1000; width: min(22rem, calc(100vw - 2rem));
  background: #fff; color: #1f1f1f; border: 1px solid #dadce0; border-radius: 12px; padding: 1rem;
  box-shadow: 0 4px 16px rgb(0 0 0 / 0.2); font: 14px/1.4 system-ui, sans-serif; }
.gsi-stand-in h2 { font-size: 1rem; margin: 0 2rem 0.25rem 0; }
.gsi-stand-in p { margin: 0 0 0.75rem; color: #5f6368; }
.gsi-stand-in ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
.gsi-stand-in button { font: inherit; width: 100%; text-align: left; padding: 0.5rem 0.75rem; border-radius: 8px;
  border: 1px solid #dadce0; background: #fff; color: #1f1f1f; cursor: pointer; min-height: 44px; }
.gsi-stand-in button:hover { background: #f1f3f4; }
.gsi-stand-in .gsi-close { position: absolute; top: 0.5rem; right: 0.5rem; width: auto; min-height: 0; border: 0; padding: 0.25rem 0.5rem; }
`;

/** The script: `google.accounts.id` with initialize, prompt and cancel, and a One Tap-like prompt. */
function gisStandInScript(base: string): string {
  const presets = PRESET_GOOGLE_USERS.filter((u) => u.emailVerified).map((u) => ({ sub: u.sub, email: u.email, name: u.name }));
  return `// Local stand-in for Google Identity Services (Latchkey development only).
(function () {
  "use strict";
  var base = ${JSON.stringify(base)};
  var presets = ${JSON.stringify(presets)};
  var settings = null;
  var box = null;

  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = base + "/gsi/style";
  document.head.appendChild(style);

  function close() {
    if (box) box.remove();
    box = null;
  }

  function choose(sub) {
    var body = new URLSearchParams({ client_id: settings.client_id, nonce: settings.nonce || "", preset: sub });
    fetch(base + "/gsi/credential", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        close();
        if (answer.credential) settings.callback({ credential: answer.credential, select_by: "user", clientId: settings.client_id });
      });
  }

  function prompt() {
    if (!settings || box) return;
    box = document.createElement("div");
    box.className = "gsi-stand-in";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-labelledby", "gsi-stand-in-title");
    var title = document.createElement("h2");
    title.id = "gsi-stand-in-title";
    title.textContent = "Sign in to " + location.host + " with Google";
    var note = document.createElement("p");
    note.textContent = "One Tap stand-in · local development only";
    var list = document.createElement("ul");
    presets.forEach(function (person) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = "Continue as " + (person.name || person.email) + " (" + person.email + ")";
      button.addEventListener("click", function () { choose(person.sub); });
      item.appendChild(button);
      list.appendChild(item);
    });
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "gsi-close";
    dismiss.setAttribute("aria-label", "Close");
    dismiss.textContent = "×";
    dismiss.addEventListener("click", close);
    box.append(title, note, list, dismiss);
    document.body.appendChild(box);
  }

  window.google = window.google || {};
  window.google.accounts = window.google.accounts || {};
  window.google.accounts.id = {
    initialize: function (options) { settings = options; },
    prompt: prompt,
    cancel: close,
    disableAutoSelect: function () {},
  };
  if (typeof window.onGoogleLibraryLoad === "function") window.onGoogleLibraryLoad();
})();
`;
}
