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
 *   - /gsi/client          a stand-in for the Google Identity Services script and One Tap
 *                          (google-one-tap-stand-in.ts).
 * The test accounts and the ID tokens signed for them are in google-stand-in-id-tokens.ts; what it shares
 * with the GitHub stand-in (pages, forms, codes, PKCE) in stand-in-kit.ts. Codes live in KV under a
 * `google-stand-in:` prefix with short TTLs. Malformed requests get a 4xx, never a 500, and every
 * interpolated value is escaped.
 */
import { Hono, type Context } from "hono";
import { GOOGLE_STAND_IN_PATH, type GoogleConfig } from "~/lib/env.server";
import { generateToken } from "~/lib/crypto.server";
import { sameOriginPosts } from "~/worker/middleware/same-origin-posts";
import { googleOneTapStandIn } from "./google-one-tap-stand-in";
import { GOOGLE_STAND_IN_KV_PREFIX, PRESET_GOOGLE_USERS, mintIdToken, publicJwks, type TestGoogleUser } from "./google-stand-in-id-tokens";
import { authorizePage, avatarResponse, basicCredentials, check, field, hueOf, pkceChallengeProblem, pkceMatches, problemPage, readForm, readParams, redirectBack, secretStore, type ClientCredentials, type Form, type Params } from "./stand-in-kit";

export interface GoogleStandInBindings {
  kv: KVNamespace;
  google: GoogleConfig;
  /** The app's stylesheet, so the page looks like the rest of local Latchkey. */
  stylesheet: string | undefined;
}

type StandInEnv = { Bindings: GoogleStandInBindings };

const CODE_TTL_SECONDS = 600;

interface Grant {
  user: TestGoogleUser;
  codeChallenge: string;
  redirectUri: string;
  nonce: string;
}

/** The authorize request's parameters, kept through the form as hidden fields. */
const OAUTH_PARAMS = ["client_id", "redirect_uri", "state", "scope", "nonce", "code_challenge", "code_challenge_method", "prompt"] as const;
type OAuthParams = Params<typeof OAUTH_PARAMS>;

/** Why Google would refuse this authorize request, or null. */
function authorizeProblem(google: GoogleConfig, params: OAuthParams): string | null {
  if (params.client_id !== google.clientId) return "Unknown client_id.";
  if (params.redirect_uri !== google.redirectUri) return `redirect_uri must be exactly ${google.redirectUri}.`;
  if (!params.scope.split(" ").includes("openid")) return "The scope must include openid.";
  if (!params.state) return "The request has no state.";
  if (!params.nonce) return "The request has no nonce.";
  return pkceChallengeProblem(params);
}

const BRAND = "Google stand-in";
const badRequest = (c: Context<StandInEnv>, problem: string) => problemPage(c, BRAND, "Bad authorization request", problem);

/** Google's endpoints take form bodies only; anything else is unreadable, hence a 4xx. */
const readGoogleForm = (c: Context<StandInEnv>) => readForm(c, { formTypesOnly: true });

function describeUser(user: TestGoogleUser): string {
  return [user.name ?? "no name", user.email + (user.emailVerified ? "" : " (unverified)"), user.hd ? `Workspace ${user.hd}` : "", `sub ${user.sub}`]
    .filter(Boolean)
    .join(" · ");
}

function choicePage(c: Context<StandInEnv>, params: OAuthParams, error?: string) {
  return authorizePage(c, {
    brand: BRAND,
    provider: "Google",
    title: "Choose an account",
    params,
    person: "test Google account",
    presetsHeading: "Test accounts",
    presets: PRESET_GOOGLE_USERS.map((user) => ({ value: user.sub, label: `Continue as ${user.email}`, description: describeUser(user) })),
    fields: `${field("sub", "Google account id (sub)", String(120000000000000000000n + BigInt(Math.floor(Math.random() * 1e9))), 'required inputmode="numeric" pattern="[0-9]{1,255}" autocomplete="off"')}
${field("email", "Email", "someone@example.com", 'type="email" required maxlength="254" autocomplete="off"')}
${check("email_verified", "Google has verified this email", true)}
${field("name", "Name (optional)", "Test Person", 'maxlength="100" autocomplete="off"')}
${field("picture", "Picture URL (optional)", "", 'type="url" maxlength="2048" autocomplete="off"')}
${field("hd", "Workspace domain, hd (optional)", "", 'maxlength="253" autocomplete="off"')}`,
    submitLabel: "Continue",
    error,
  });
}

/** The typed-in person, or a sentence saying what to fix. */
function customUser(form: Form): TestGoogleUser | string {
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

export const googleStandIn = new Hono<StandInEnv>().basePath(GOOGLE_STAND_IN_PATH);

googleStandIn.get("/o/oauth2/v2/auth", (c) => {
  const params = readParams(OAUTH_PARAMS, (name) => c.req.query(name));
  const problem = c.req.query("response_type") === "code" ? authorizeProblem(c.env.google, params) : "response_type must be code.";
  return problem ? badRequest(c, problem) : choicePage(c, params);
});

googleStandIn.post(
  "/o/oauth2/v2/auth",
  sameOriginPosts({ onRejected: (c) => c.text("Cross-site request refused.", 403) }),
  async (c) => {
    const form = await readGoogleForm(c);
    if (!form) return badRequest(c, "The form could not be read.");
    const params = readParams(OAUTH_PARAMS, (name) => form[name]);
    const problem = authorizeProblem(c.env.google, params);
    if (problem) return badRequest(c, problem);
    if (form.decision === "cancel") return c.redirect(redirectBack(params, { error: "access_denied" }), 302);
    const user = PRESET_GOOGLE_USERS.find((u) => u.sub === form.preset) ?? customUser(form);
    if (typeof user === "string") return choicePage(c, params, user);
    const code = `4/${generateToken(24)}`;
    const grant: Grant = { user, codeChallenge: params.code_challenge, redirectUri: params.redirect_uri, nonce: params.nonce };
    await secretStore(c.env.kv, GOOGLE_STAND_IN_KV_PREFIX).put("code", code, grant, CODE_TTL_SECONDS);
    return c.redirect(redirectBack(params, { code, scope: params.scope }), 302);
  },
);

/** Google's token endpoint answers refusals with 400 (401 for the client) and an OAuth error body. */
const tokenError = (c: Context<StandInEnv>, status: 400 | 401, error: string, description: string) =>
  c.json({ error, error_description: description }, status);

/**
 * The client's id and secret, from a Basic header (each part form-urlencoded, RFC 6749 §2.3.1) or else
 * from the form, as Google accepts both; null when they can't be read.
 */
function clientCredentials(c: Context<StandInEnv>, form: Form): ClientCredentials | null {
  const basic = basicCredentials(c.req.header("Authorization"));
  if (basic === undefined) return form.client_id && form.client_secret ? { id: form.client_id, secret: form.client_secret } : null;
  if (!basic) return null;
  try {
    return { id: decodeURIComponent(basic.id), secret: decodeURIComponent(basic.secret) };
  } catch {
    return null; // a stray "%": wrong credentials, not a 500
  }
}

googleStandIn.post("/token", async (c) => {
  const form = await readGoogleForm(c);
  if (!form) return tokenError(c, 400, "invalid_request", "The request body must be form-encoded.");
  const credentials = clientCredentials(c, form);
  if (credentials?.id !== c.env.google.clientId || credentials.secret !== c.env.google.clientSecret) {
    return tokenError(c, 401, "invalid_client", "Unauthorized");
  }
  if (form.grant_type !== "authorization_code") return tokenError(c, 400, "unsupported_grant_type", "Invalid grant_type: " + (form.grant_type ?? ""));
  const grant = await secretStore(c.env.kv, GOOGLE_STAND_IN_KV_PREFIX).take<Grant>("code", form.code);
  if (!grant) return tokenError(c, 400, "invalid_grant", "Malformed auth code.");
  if (form.redirect_uri !== grant.redirectUri) return tokenError(c, 400, "redirect_uri_mismatch", "Bad Request");
  if (!(await pkceMatches(form.code_verifier, grant.codeChallenge))) return tokenError(c, 400, "invalid_grant", "Bad Request");
  return c.json({
    access_token: `ya29.${generateToken(24)}`,
    expires_in: 3599,
    scope: "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
    token_type: "Bearer",
    id_token: await mintIdToken(c.env, grant.user, grant.nonce),
  });
});

googleStandIn.get("/oauth2/v3/certs", async (c) => c.json(await publicJwks(c.env.kv)));

googleStandIn.route("/gsi", googleOneTapStandIn);

/** A local picture (a G on a colour from the sub), so nothing is fetched from the network. */
googleStandIn.get("/avatars/:file", (c) => {
  const sub = c.req.param("file").replace(/\.svg$/, "");
  return avatarResponse(hueOf(sub, 7), "G");
});

googleStandIn.all("*", (c) => c.json({ error: "not_found" }, 404));
