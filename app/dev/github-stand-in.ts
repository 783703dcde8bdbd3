/**
 * A small local stand-in for GitHub's OAuth endpoints and the two API calls sign-in makes, so "Continue
 * with GitHub" works on a machine with no GitHub credentials and no internet: you pick or type a test
 * GitHub user, and the app's real remix-auth-github code path talks to this through its configurable
 * base URLs. The Worker mounts it only when config.github.standIn (no GITHUB_CLIENT_ID, loopback
 * APP_URL) and the request itself is on a loopback host; anywhere else /dev/github is a 404.
 *
 * It behaves like GitHub where sign-in depends on it: exact client id/secret (Basic auth) and
 * redirect_uri, PKCE S256 required and checked, one-time codes, errors as 200 + `error` JSON, emails
 * with primary/verified flags. State lives in KV (several isolates may serve a local run), with a
 * `github-stand-in:` prefix and short TTLs. Dev-only, but every interpolated value is still escaped.
 */
import { Hono, type Context } from "hono";
import { GITHUB_STAND_IN_PATH, type GitHubConfig } from "~/lib/env.server";
import { encodeBase64Url, generateToken, sha256Hex } from "~/lib/crypto.server";
import { escapeHtml } from "~/lib/html";
import { sameOriginPosts } from "~/worker/middleware/same-origin-posts";
import { renderDevPage } from "./page";

export interface StandInBindings {
  kv: KVNamespace;
  github: GitHubConfig;
  /** The app's stylesheet, so the page looks like the rest of local Latchkey. */
  stylesheet: string | undefined;
}

type StandInEnv = { Bindings: StandInBindings };

export interface TestGitHubUser {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

/** Ready-made people for the common cases: verified, verified plus an unverified extra, unverified only. */
export const PRESET_USERS: TestGitHubUser[] = [
  { id: 1001, login: "ada", name: "Ada Lovelace", emails: [{ email: "ada@example.com", primary: true, verified: true }] },
  {
    id: 1002,
    login: "grace",
    name: "Grace Hopper",
    emails: [
      { email: "grace@example.com", primary: true, verified: true },
      { email: "grace@navy.example", primary: false, verified: false },
    ],
  },
  { id: 1003, login: "unverified", name: null, emails: [{ email: "unverified@example.com", primary: true, verified: false }] },
];

const KEY_PREFIX = "github-stand-in:";
const CODE_TTL_SECONDS = 600;
const TOKEN_TTL_SECONDS = 3600;

interface Grant {
  user: TestGitHubUser;
  codeChallenge: string;
  redirectUri: string;
}

/** The authorize request's parameters, kept through the form as hidden fields. */
const OAUTH_PARAMS = ["client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method"] as const;
type OAuthParams = Record<(typeof OAUTH_PARAMS)[number], string>;

function readOAuthParams(source: (name: string) => string | undefined | null): OAuthParams {
  return Object.fromEntries(OAUTH_PARAMS.map((name) => [name, source(name) ?? ""])) as OAuthParams;
}

/** Why GitHub would refuse this authorize request, or null. */
function authorizeProblem(github: GitHubConfig, params: OAuthParams): string | null {
  if (params.client_id !== github.clientId) return "Unknown client_id.";
  if (params.redirect_uri !== github.redirectUri) return `redirect_uri must be exactly ${github.redirectUri}.`;
  if (!params.state) return "The request has no state.";
  if (params.code_challenge_method !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(params.code_challenge)) {
    return "PKCE is required: code_challenge with code_challenge_method=S256.";
  }
  return null;
}

function page(c: Context<StandInEnv>, status: 200 | 400, title: string, body: string) {
  return c.html(
    renderDevPage({ title, brand: "GitHub stand-in", tagline: "local development only", body, stylesheet: c.env.stylesheet }),
    status,
  );
}

function hiddenFields(params: OAuthParams): string {
  return OAUTH_PARAMS.map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params[name])}">`).join("");
}

function field(name: string, label: string, value: string, extra = ""): string {
  return `<div class="field"><label for="${name}">${escapeHtml(label)}</label><input id="${name}" name="${name}" value="${escapeHtml(value)}" ${extra}></div>`;
}

function check(name: string, label: string, checked: boolean, type = "checkbox", value = "on"): string {
  const id = `${name}-${value}`;
  return `<div class="check"><input type="${type}" id="${id}" name="${name}" value="${value}"${checked ? " checked" : ""}><label for="${id}">${escapeHtml(label)}</label></div>`;
}

function authorizePage(c: Context<StandInEnv>, params: OAuthParams, error?: string) {
  const presets = PRESET_USERS.map((user) => {
    const emails = user.emails.map((e) => `${e.email}${e.verified ? "" : " (unverified)"}`).join(", ");
    return `<li><form method="post" class="preset">${hiddenFields(params)}<input type="hidden" name="preset" value="${escapeHtml(user.login)}">
<button type="submit" name="decision" value="authorize" class="secondary full">Authorize as @${escapeHtml(user.login)}</button>
<span class="muted small">${escapeHtml(user.name ?? "no name")} · id ${user.id} · ${escapeHtml(emails)}</span></form></li>`;
  }).join("");
  const alert = error ? `<div class="alert error" role="alert">${escapeHtml(error)}</div>` : "";
  return page(
    c,
    error ? 400 : 200,
    "Authorize Latchkey",
    `<section class="card" aria-labelledby="title">
<h1 id="title">Authorize Latchkey</h1>
<p class="lead">This is a local stand-in for GitHub. Latchkey asks for <code>${escapeHtml(params.scope || "(no scope)")}</code>. Pick a test GitHub user, or describe one.</p>
${alert}
<h2>Test users</h2>
<ul class="preset-list">${presets}</ul>
<h2>Someone else</h2>
<form method="post">
${hiddenFields(params)}
${field("login", "GitHub login", "octo-tester", 'required maxlength="39" autocomplete="off"')}
${field("name", "Name (optional)", "Octo Tester", 'maxlength="100" autocomplete="off"')}
${field("id", "Numeric GitHub id", String(2000 + Math.floor(Math.random() * 1_000_000)), 'required inputmode="numeric" pattern="[0-9]{1,15}"')}
${field("email1", "Email 1", "octo-tester@example.com", 'type="email" maxlength="254" autocomplete="off"')}
${check("verified1", "Email 1 is verified", true)}
${field("email2", "Email 2 (optional)", "", 'type="email" maxlength="254" autocomplete="off"')}
${check("verified2", "Email 2 is verified", false)}
<fieldset class="check-group"><legend>Primary email</legend>${check("primary", "Email 1 is primary", true, "radio", "1")}${check("primary", "Email 2 is primary", false, "radio", "2")}</fieldset>
<div class="actions">
<button type="submit" name="decision" value="authorize">Authorize</button>
<button type="submit" name="decision" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>
</section>`,
  );
}

/** The typed-in user, or a sentence saying what to fix. */
function customUser(form: Record<string, string | File>): TestGitHubUser | string {
  const text = (name: string) => (typeof form[name] === "string" ? (form[name] as string).trim() : "");
  const login = text("login");
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(login)) return "A GitHub login is 1–39 letters, digits or hyphens.";
  const id = Number(text("id"));
  if (!/^\d{1,15}$/.test(text("id")) || id < 1) return "The GitHub id must be a positive whole number.";
  const emails = [1, 2]
    .map((n) => ({ email: text(`email${n}`), primary: text("primary") === String(n), verified: text(`verified${n}`) === "on" }))
    .filter((e) => e.email !== "");
  if (emails.some((e) => e.email.length > 254 || !e.email.includes("@"))) return "Emails must look like name@example.com.";
  return { id, login, name: text("name").slice(0, 100) || null, emails };
}

async function s256(verifier: string): Promise<string> {
  return encodeBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

async function keyFor(kind: "code" | "token", secret: string) {
  return `${KEY_PREFIX}${kind}:${await sha256Hex(secret)}`;
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(header ?? "");
  if (!match) return null;
  let decoded: string;
  try {
    decoded = atob(match[1]!);
  } catch {
    return null; // not base64 after all ("Basic a"): no credentials, not a 500
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

const UNREADABLE_FORM = "The form data could not be read: send application/x-www-form-urlencoded (UTF-8) or multipart/form-data with a boundary.";

/**
 * The posted form, or null when it can't be parsed (multipart without a boundary, a charset other than
 * UTF-8, a broken multipart body): Hono's parseBody throws on those, and a sender's mistake is a 400,
 * never a 500, even in a dev-only stand-in.
 */
async function readForm(c: Context<StandInEnv>): Promise<Record<string, string | File> | null> {
  try {
    return await c.req.parseBody();
  } catch {
    return null;
  }
}

/** GitHub answers token-endpoint refusals with 200 and an `error` field; so do we. */
const tokenError = (c: Context<StandInEnv>, error: string, description: string) => c.json({ error, error_description: description });

async function userForToken(c: Context<StandInEnv>): Promise<TestGitHubUser | null> {
  const match = /^(?:Bearer|token)\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "");
  if (!match) return null;
  return c.env.kv.get<TestGitHubUser>(await keyFor("token", match[1]!), "json");
}

export const githubStandIn = new Hono<StandInEnv>().basePath(GITHUB_STAND_IN_PATH);

githubStandIn.get("/login/oauth/authorize", (c) => {
  const params = readOAuthParams((name) => c.req.query(name));
  const problem = c.req.query("response_type") === "code" ? authorizeProblem(c.env.github, params) : "response_type must be code.";
  if (problem) return page(c, 400, "Bad authorize request", `<section class="card"><h1>Bad authorize request</h1><p role="alert">${escapeHtml(problem)}</p></section>`);
  return authorizePage(c, params);
});

githubStandIn.post(
  "/login/oauth/authorize",
  sameOriginPosts({ onRejected: (c) => c.text("Cross-site request refused.", 403) }),
  async (c) => {
    const form = await readForm(c);
    if (!form) return page(c, 400, "Bad authorize request", `<section class="card"><h1>Bad authorize request</h1><p role="alert">${escapeHtml(UNREADABLE_FORM)}</p></section>`);
    const params = readOAuthParams((name) => (typeof form[name] === "string" ? (form[name] as string) : null));
    const problem = authorizeProblem(c.env.github, params);
    if (problem) return page(c, 400, "Bad authorize request", `<section class="card"><h1>Bad authorize request</h1><p role="alert">${escapeHtml(problem)}</p></section>`);
    const back = new URL(params.redirect_uri);
    back.searchParams.set("state", params.state);
    if (form.decision === "cancel") {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The user has denied your application access.");
      return c.redirect(back.href, 302);
    }
    const preset = PRESET_USERS.find((u) => u.login === form.preset);
    const user = preset ?? customUser(form);
    if (typeof user === "string") return authorizePage(c, params, user);
    const code = generateToken(20);
    const grant: Grant = { user, codeChallenge: params.code_challenge, redirectUri: params.redirect_uri };
    await c.env.kv.put(await keyFor("code", code), JSON.stringify(grant), { expirationTtl: CODE_TTL_SECONDS });
    back.searchParams.set("code", code);
    return c.redirect(back.href, 302);
  },
);

githubStandIn.post("/login/oauth/access_token", async (c) => {
  const form = await readForm(c);
  if (!form) return c.json({ error: "invalid_request", error_description: UNREADABLE_FORM }, 400);
  const value = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
  const credentials = basicCredentials(c.req.header("Authorization"));
  if (credentials?.id !== c.env.github.clientId || credentials.secret !== c.env.github.clientSecret) {
    return tokenError(c, "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
  }
  if (value("grant_type") !== "authorization_code") return tokenError(c, "unsupported_grant_type", "Only authorization_code.");
  const key = await keyFor("code", value("code"));
  const grant = value("code") ? await c.env.kv.get<Grant>(key, "json") : null;
  if (!grant) return tokenError(c, "bad_verification_code", "The code passed is incorrect or expired.");
  // One use, whatever happens next.
  await c.env.kv.delete(key);
  if (value("redirect_uri") !== grant.redirectUri) {
    return tokenError(c, "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
  }
  if (!value("code_verifier") || (await s256(value("code_verifier"))) !== grant.codeChallenge) {
    return tokenError(c, "bad_verification_code", "The code_verifier does not match the code_challenge.");
  }
  const token = `gho_${generateToken(27)}`;
  await c.env.kv.put(await keyFor("token", token), JSON.stringify(grant.user), { expirationTtl: TOKEN_TTL_SECONDS });
  return c.json({ access_token: token, token_type: "bearer", scope: "read:user,user:email" });
});

githubStandIn.get("/api/user", async (c) => {
  const user = await userForToken(c);
  if (!user) return c.json({ message: "Bad credentials" }, 401);
  const primary = user.emails.find((e) => e.primary);
  return c.json({
    id: user.id,
    login: user.login,
    name: user.name,
    email: primary?.verified ? primary.email : null,
    avatar_url: `${c.env.github.oauthUrl}/avatars/${encodeURIComponent(user.login)}.svg`,
    type: "User",
  });
});

githubStandIn.get("/api/user/emails", async (c) => {
  const user = await userForToken(c);
  if (!user) return c.json({ message: "Bad credentials" }, 401);
  return c.json(user.emails.map((e) => ({ ...e, visibility: e.primary ? "private" : null })));
});

/** A local avatar (initial on a colour from the login), so the dashboard shows one with no network. */
githubStandIn.get("/avatars/:file", (c) => {
  const login = c.req.param("file").replace(/\.svg$/, "");
  const hue = [...login].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 360;
  const initial = escapeHtml((login[0] ?? "?").toUpperCase());
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="80" height="80" viewBox="0 0 80 80"><rect width="80" height="80" fill="hsl(${hue} 55% 45%)"/><text x="40" y="53" font-family="sans-serif" font-size="36" text-anchor="middle" fill="#fff">${initial}</text></svg>`;
  return c.body(svg, 200, { "Content-Type": "image/svg+xml", "Cache-Control": "no-store" });
});

githubStandIn.all("*", (c) => c.json({ message: "Not Found" }, 404));
