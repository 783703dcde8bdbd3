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
 * `github-stand-in:` prefix and short TTLs. What it shares with the Google stand-in (pages, forms, codes,
 * PKCE) is in stand-in-kit.ts. Dev-only, but every interpolated value is still escaped.
 */
import { Hono, type Context } from "hono";
import { GITHUB_STAND_IN_PATH, type GitHubConfig } from "~/lib/env.server";
import { generateToken } from "~/lib/crypto.server";
import { sameOriginPosts } from "~/worker/middleware/same-origin-posts";
import { authorizePage, avatarResponse, basicCredentials, check, field, hueOf, pkceChallengeProblem, pkceMatches, problemPage, readForm, readParams, redirectBack, secretStore, type Form, type Params } from "./stand-in-kit";

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
type OAuthParams = Params<typeof OAUTH_PARAMS>;

/** Why GitHub would refuse this authorize request, or null. */
function authorizeProblem(github: GitHubConfig, params: OAuthParams): string | null {
  if (params.client_id !== github.clientId) return "Unknown client_id.";
  if (params.redirect_uri !== github.redirectUri) return `redirect_uri must be exactly ${github.redirectUri}.`;
  if (!params.state) return "The request has no state.";
  return pkceChallengeProblem(params);
}

const BRAND = "GitHub stand-in";
const badRequest = (c: Context<StandInEnv>, problem: string) => problemPage(c, BRAND, "Bad authorize request", problem);

function choicePage(c: Context<StandInEnv>, params: OAuthParams, error?: string) {
  return authorizePage(c, {
    brand: BRAND,
    provider: "GitHub",
    title: "Authorize Latchkey",
    params,
    person: "test GitHub user",
    presetsHeading: "Test users",
    presets: PRESET_USERS.map((user) => ({
      value: user.login,
      label: `Authorize as @${user.login}`,
      description: `${user.name ?? "no name"} · id ${user.id} · ${user.emails.map((e) => `${e.email}${e.verified ? "" : " (unverified)"}`).join(", ")}`,
    })),
    fields: `${field("login", "GitHub login", "octo-tester", 'required maxlength="39" autocomplete="off"')}
${field("name", "Name (optional)", "Octo Tester", 'maxlength="100" autocomplete="off"')}
${field("id", "Numeric GitHub id", String(2000 + Math.floor(Math.random() * 1_000_000)), 'required inputmode="numeric" pattern="[0-9]{1,15}"')}
${field("email1", "Email 1", "octo-tester@example.com", 'type="email" maxlength="254" autocomplete="off"')}
${check("verified1", "Email 1 is verified", true)}
${field("email2", "Email 2 (optional)", "", 'type="email" maxlength="254" autocomplete="off"')}
${check("verified2", "Email 2 is verified", false)}
<fieldset class="check-group"><legend>Primary email</legend>${check("primary", "Email 1 is primary", true, "radio", "1")}${check("primary", "Email 2 is primary", false, "radio", "2")}</fieldset>`,
    submitLabel: "Authorize",
    error,
  });
}

/** The typed-in user, or a sentence saying what to fix. */
function customUser(form: Form): TestGitHubUser | string {
  const text = (name: string) => (form[name] ?? "").trim();
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

const UNREADABLE_FORM = "The form data could not be read: send application/x-www-form-urlencoded (UTF-8) or multipart/form-data with a boundary.";

/** GitHub answers token-endpoint refusals with 200 and an `error` field; so do we. */
const tokenError = (c: Context<StandInEnv>, error: string, description: string) => c.json({ error, error_description: description });

async function userForToken(c: Context<StandInEnv>): Promise<TestGitHubUser | null> {
  const match = /^(?:Bearer|token)\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "");
  if (!match) return null;
  return secretStore(c.env.kv, KEY_PREFIX).get<TestGitHubUser>("token", match[1]!);
}

export const githubStandIn = new Hono<StandInEnv>().basePath(GITHUB_STAND_IN_PATH);

githubStandIn.get("/login/oauth/authorize", (c) => {
  const params = readParams(OAUTH_PARAMS, (name) => c.req.query(name));
  const problem = c.req.query("response_type") === "code" ? authorizeProblem(c.env.github, params) : "response_type must be code.";
  return problem ? badRequest(c, problem) : choicePage(c, params);
});

githubStandIn.post(
  "/login/oauth/authorize",
  sameOriginPosts({ onRejected: (c) => c.text("Cross-site request refused.", 403) }),
  async (c) => {
    const form = await readForm(c);
    if (!form) return badRequest(c, UNREADABLE_FORM);
    const params = readParams(OAUTH_PARAMS, (name) => form[name]);
    const problem = authorizeProblem(c.env.github, params);
    if (problem) return badRequest(c, problem);
    if (form.decision === "cancel") {
      return c.redirect(redirectBack(params, { error: "access_denied", error_description: "The user has denied your application access." }), 302);
    }
    const user = PRESET_USERS.find((u) => u.login === form.preset) ?? customUser(form);
    if (typeof user === "string") return choicePage(c, params, user);
    const code = generateToken(20);
    const grant: Grant = { user, codeChallenge: params.code_challenge, redirectUri: params.redirect_uri };
    await secretStore(c.env.kv, KEY_PREFIX).put("code", code, grant, CODE_TTL_SECONDS);
    return c.redirect(redirectBack(params, { code }), 302);
  },
);

githubStandIn.post("/login/oauth/access_token", async (c) => {
  const form = await readForm(c);
  if (!form) return c.json({ error: "invalid_request", error_description: UNREADABLE_FORM }, 400);
  const credentials = basicCredentials(c.req.header("Authorization"));
  if (credentials?.id !== c.env.github.clientId || credentials.secret !== c.env.github.clientSecret) {
    return tokenError(c, "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
  }
  if (form.grant_type !== "authorization_code") return tokenError(c, "unsupported_grant_type", "Only authorization_code.");
  const store = secretStore(c.env.kv, KEY_PREFIX);
  const grant = await store.take<Grant>("code", form.code);
  if (!grant) return tokenError(c, "bad_verification_code", "The code passed is incorrect or expired.");
  if (form.redirect_uri !== grant.redirectUri) {
    return tokenError(c, "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
  }
  if (!(await pkceMatches(form.code_verifier, grant.codeChallenge))) {
    return tokenError(c, "bad_verification_code", "The code_verifier does not match the code_challenge.");
  }
  const token = `gho_${generateToken(27)}`;
  await store.put("token", token, grant.user, TOKEN_TTL_SECONDS);
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

/** A local avatar, so the dashboard shows one with no network. */
githubStandIn.get("/avatars/:file", (c) => {
  const login = c.req.param("file").replace(/\.svg$/, "");
  return avatarResponse(hueOf(login), (login[0] ?? "?").toUpperCase());
});

githubStandIn.all("*", (c) => c.json({ message: "Not Found" }, 404));
