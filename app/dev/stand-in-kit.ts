/**
 * What the local provider stand-ins (GitHub, Google) share, so each of their files holds only what makes
 * that provider itself: reading and checking the authorize request, the branded pages (the account
 * chooser with its hidden parameters and preset people, the problem page), reading a posted form that
 * may be unreadable, Basic client credentials and the PKCE check at the token endpoint, one-time codes and
 * tokens kept in KV under their hash, and a local avatar. Dev-only like its users: nothing outside
 * app/dev/ imports it. Every interpolated value is escaped here, so a stand-in may echo what it was sent.
 */
import type { Context } from "hono";
import { encodeBase64Url, sha256Hex } from "~/lib/crypto.server";
import { escapeHtml } from "~/lib/html";
import { renderDevPage } from "./page";

// --- the authorize request ----------------------------------------------------------------------------

/** An authorize request's parameters by name; absent ones are "", so checks read as plain comparisons. */
export type Params<Names extends readonly string[]> = Record<Names[number], string>;

/** The parameters `names` from a query or a form; anything that isn't a string counts as absent. */
export function readParams<const Names extends readonly string[]>(names: Names, source: (name: string) => unknown): Params<Names> {
  return Object.fromEntries(names.map((name) => {
    const value = source(name);
    return [name, typeof value === "string" ? value : ""];
  })) as Params<Names>;
}

/** Why the request's PKCE parameters would be refused, or null: S256 with a 43-character challenge. */
export function pkceChallengeProblem(params: { code_challenge: string; code_challenge_method: string }): string | null {
  if (params.code_challenge_method === "S256" && /^[A-Za-z0-9_-]{43}$/.test(params.code_challenge)) return null;
  return "PKCE is required: code_challenge with code_challenge_method=S256.";
}

/** Where the provider sends the browser back: the registered redirect_uri with the state and its answer. */
export function redirectBack(params: { redirect_uri: string; state: string }, answer: Record<string, string>): string {
  const back = new URL(params.redirect_uri);
  back.searchParams.set("state", params.state);
  for (const [name, value] of Object.entries(answer)) back.searchParams.set(name, value);
  return back.href;
}

// --- pages --------------------------------------------------------------------------------------------

/** What every stand-in's Hono env carries, whatever else its provider needs. */
type WithStylesheet = { Bindings: { stylesheet: string | undefined } };

/** A page in the dev shell under the stand-in's brand, so nobody mistakes it for the real provider. */
function standInPage<E extends WithStylesheet>(c: Context<E>, brand: string, status: 200 | 400, title: string, body: string) {
  return c.html(renderDevPage({ title, brand, tagline: "local development only", body, stylesheet: c.env.stylesheet }), status);
}

/** A 400 page that names what is wrong with the request, as the real provider's error page would. */
export function problemPage<E extends WithStylesheet>(c: Context<E>, brand: string, title: string, problem: string) {
  return standInPage(c, brand, 400, title, `<section class="card"><h1>${escapeHtml(title)}</h1><p role="alert">${escapeHtml(problem)}</p></section>`);
}

/** A labelled text input: the e2e suites fill the chooser by label, as a person would. */
export function field(name: string, label: string, value: string, extra = ""): string {
  return `<div class="field"><label for="${name}">${escapeHtml(label)}</label><input id="${name}" name="${name}" value="${escapeHtml(value)}" ${extra}></div>`;
}

/** A labelled checkbox or radio; its id joins name and value, so one group's radios stay distinct. */
export function check(name: string, label: string, checked: boolean, type = "checkbox", value = "on"): string {
  const id = `${name}-${value}`;
  return `<div class="check"><input type="${type}" id="${id}" name="${name}" value="${value}"${checked ? " checked" : ""}><label for="${id}">${escapeHtml(label)}</label></div>`;
}

export interface AuthorizePage {
  /** The page's brand ("GitHub stand-in"). */
  brand: string;
  /** "GitHub", "Google": whose stand-in this is. */
  provider: string;
  title: string;
  /** The authorize request's parameters, repeated as hidden fields in every form so they survive the choice. */
  params: Record<string, string>;
  /** What a preset is called ("test GitHub user"), for the lead. */
  person: string;
  presetsHeading: string;
  /** One button per preset: the value posted as `preset`, the button's label, a line describing them. */
  presets: { value: string; label: string; description: string }[];
  /** The "Someone else" form's fields. */
  fields: string;
  submitLabel: string;
  /** Why the typed-in person was refused, shown above the forms (and the page is a 400). */
  error?: string;
}

/** The authorize page: one form per preset person, then a form to describe someone else. */
export function authorizePage<E extends WithStylesheet>(c: Context<E>, page: AuthorizePage) {
  const hidden = Object.entries(page.params)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("");
  const presets = page.presets.map(
    (preset) => `<li><form method="post" class="preset">${hidden}<input type="hidden" name="preset" value="${escapeHtml(preset.value)}">
<button type="submit" name="decision" value="authorize" class="secondary full">${escapeHtml(preset.label)}</button>
<span class="muted small">${escapeHtml(preset.description)}</span></form></li>`,
  ).join("");
  const alert = page.error ? `<div class="alert error" role="alert">${escapeHtml(page.error)}</div>` : "";
  const scope = page.params.scope || "(no scope)";
  return standInPage(c, page.brand, page.error ? 400 : 200, page.title, `<section class="card" aria-labelledby="title">
<h1 id="title">${escapeHtml(page.title)}</h1>
<p class="lead">This is a local stand-in for ${escapeHtml(page.provider)}. Latchkey asks for <code>${escapeHtml(scope)}</code>. Pick a ${escapeHtml(page.person)}, or describe one.</p>
${alert}
<h2>${escapeHtml(page.presetsHeading)}</h2>
<ul class="preset-list">${presets}</ul>
<h2>Someone else</h2>
<form method="post">
${hidden}
${page.fields}
<div class="actions">
<button type="submit" name="decision" value="authorize">${escapeHtml(page.submitLabel)}</button>
<button type="submit" name="decision" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>
</section>`);
}

// --- posted forms and the token endpoint --------------------------------------------------------------

/** A posted form's text fields (file parts are dropped: no stand-in takes files). */
export type Form = Record<string, string>;

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;

/**
 * The posted form, or null when it can't be read (multipart without a boundary, a charset other than
 * UTF-8, a broken multipart body): Hono's parseBody throws on those, and a sender's mistake is a 400,
 * never a 500, even in a dev-only stand-in. `formTypesOnly` also refuses other content types, as
 * Google's endpoints do; GitHub's read such a body as an empty form.
 */
export async function readForm(c: Context, { formTypesOnly = false } = {}): Promise<Form | null> {
  if (formTypesOnly && !FORM_TYPES.test(c.req.header("Content-Type") ?? "")) return null;
  try {
    const body = await c.req.parseBody();
    return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  } catch {
    return null;
  }
}

export interface ClientCredentials {
  id: string;
  secret: string;
}

/**
 * The id and secret of a `Basic` Authorization header: undefined when there is no such header (the
 * client may send its secret another way), null when there is one that can't be read ("Basic a" is not
 * base64), which is wrong credentials, not a 500.
 */
export function basicCredentials(header: string | undefined): ClientCredentials | null | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(header ?? "");
  if (!match) return undefined;
  let decoded: string;
  try {
    decoded = atob(match[1]!);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** Whether `verifier` is the PKCE S256 verifier of `challenge` (RFC 7636 §4.6). */
export async function pkceMatches(verifier: string | undefined, challenge: string): Promise<boolean> {
  if (!verifier) return false;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return encodeBase64Url(new Uint8Array(digest)) === challenge;
}

// --- state --------------------------------------------------------------------------------------------

/**
 * Codes and tokens a stand-in issued, in KV under its own prefix and the secret's SHA-256 (as the app
 * keeps its own, TOK-2), each with a TTL so a local run leaves nothing behind. KV rather than memory
 * because several isolates may serve one local run.
 */
export function secretStore(kv: KVNamespace, prefix: string) {
  const keyFor = async (kind: string, secret: string) => `${prefix}${kind}:${await sha256Hex(secret)}`;
  return {
    async put(kind: string, secret: string, value: unknown, ttlSeconds: number): Promise<void> {
      await kv.put(await keyFor(kind, secret), JSON.stringify(value), { expirationTtl: ttlSeconds });
    },
    async get<T>(kind: string, secret: string): Promise<T | null> {
      return kv.get<T>(await keyFor(kind, secret), "json");
    },
    /** The value, deleted as it is read: an authorization code works once, whatever happens next. */
    async take<T>(kind: string, secret: string | undefined): Promise<T | null> {
      if (!secret) return null;
      const key = await keyFor(kind, secret);
      const value = await kv.get<T>(key, "json");
      if (value) await kv.delete(key);
      return value;
    },
  };
}

// --- pictures -----------------------------------------------------------------------------------------

/** A hue from a person's id, so each test person keeps one colour. */
export function hueOf(seed: string, spread = 1): number {
  return [...seed].reduce((sum, ch) => sum + ch.charCodeAt(0) * spread, 0) % 360;
}

/** A local avatar (a letter on a colour), so the dashboard shows a picture with no network. */
export function avatarResponse(hue: number, letter: string): Response {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="80" height="80" viewBox="0 0 80 80"><rect width="80" height="80" fill="hsl(${hue} 55% 45%)"/><text x="40" y="53" font-family="sans-serif" font-size="36" text-anchor="middle" fill="#fff">${escapeHtml(letter)}</text></svg>`;
  return new Response(svg, { status: 200, headers: { "Content-Type": "image/svg+xml", "Cache-Control": "no-store" } });
}
