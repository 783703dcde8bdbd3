/**
 * Drives the real Worker through its fetch handler, with helpers that read like the steps a person
 * takes: request a link, read the mail, sign in. The Worker is the local entry (app/dev/worker.ts: the
 * deployed app plus the outbox these helpers read mail from, and the other dev-only tools).
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import worker from "~/dev/worker";

export const ORIGIN = "https://latchkey.test";

export function url(path: string, origin = ORIGIN): string {
  return new URL(path, origin).href;
}

/**
 * SELF.fetch sends no Host header, but every real HTTP request has one (and Remix compares it with
 * Origin on actions), so the helpers add it as a browser would.
 */
function withHost(target: string, headers: HeadersInit = {}): Headers {
  const all = new Headers(headers);
  if (!all.has("Host")) all.set("Host", new URL(target).host);
  return all;
}

export function get(path: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(url(path), { redirect: "manual", ...init, headers: withHost(url(path), init.headers) });
}

/** A request to an arbitrary URL (e.g. a spoofed host), still answered by our Worker. */
export function SELF_URL_HOST(target: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(target, { redirect: "manual", ...init, headers: withHost(target, init.headers) });
}

/** A same-origin form POST, as a browser would send it from one of our pages. */
export function post(
  path: string,
  form: Record<string, string>,
  { cookie, origin = ORIGIN, headers = {} }: { cookie?: string; origin?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const allHeaders: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded", ...headers };
  if (origin) allHeaders.Origin = origin;
  if (cookie) allHeaders.Cookie = cookie;
  return SELF.fetch(url(path), {
    method: "POST",
    body: new URLSearchParams(form).toString(),
    headers: withHost(url(path), allHeaders),
    redirect: "manual",
  });
}

/** Calls the Worker and waits for its waitUntil work (e.g. security-log writes) to finish. */
export async function fetchAndSettle(path: string, init: RequestInit = {}): Promise<Response> {
  return fetchWithEnv(new Request(url(path), { redirect: "manual", ...init, headers: withHost(url(path), init.headers) }), {});
}

/**
 * Calls the Worker with a modified environment (e.g. the Resend provider, or a broken config). `entry`
 * is the local one unless a test is about the deployed entry (app/worker.ts).
 */
export async function fetchWithEnv(
  request: Request,
  overrides: Partial<Record<keyof Env, unknown>>,
  entry: { fetch: (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response> } = worker,
) {
  const ctx = createExecutionContext();
  const response = await entry.fetch(request, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export interface StoredMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export async function mailsTo(email: string): Promise<StoredMail[]> {
  const { results } = await env.DB.prepare(
    "SELECT `to`, subject, text, html FROM outbox_messages WHERE `to` = ? ORDER BY id DESC",
  )
    .bind(email)
    .all<StoredMail>();
  return results;
}

export async function lastMailTo(email: string): Promise<StoredMail> {
  const [mail] = await mailsTo(email);
  if (!mail) throw new Error(`no mail to ${email}`);
  return mail;
}

export function linkIn(mail: StoredMail): URL {
  const match = mail.text.match(/https?:\/\/\S+\/auth\/verify\?token=[A-Za-z0-9_-]+/);
  if (!match) throw new Error(`no sign-in link in mail: ${mail.text}`);
  return new URL(match[0]);
}

export function codeIn(mail: StoredMail): string {
  const match = mail.text.match(/code on the sign-in page: (\d{6})/);
  if (!match) throw new Error(`no code in mail: ${mail.text}`);
  return match[1]!;
}

/** Any 6-digit code other than `code`. */
export function wrongCodeFor(code: string): string {
  return code === "000000" ? "111111" : "000000";
}

export function tokenIn(mail: StoredMail): string {
  return linkIn(mail).searchParams.get("token")!;
}

/**
 * Moves every issued token `seconds` into the past, as if that much time had passed since the emails
 * were sent (the Worker's own clock can't be moved). Expiry moves with it.
 */
export async function letTimePass(seconds: number): Promise<void> {
  const ms = seconds * 1000;
  await env.DB.prepare("UPDATE verification_tokens SET created_at = created_at - ?1, expires_at = expires_at - ?1")
    .bind(ms)
    .run();
}

/**
 * Requests a sign-in email and returns the link token. Earlier emails are first aged past the per-email
 * spacing (30 s), so tests about other behaviour can sign in repeatedly; the limits have their own tests.
 */
export async function requestLink(email: string, redirectTo = ""): Promise<string> {
  await letTimePass(31);
  const response = await post("/login", { email, redirectTo });
  if (response.status !== 303 || response.headers.get("Location") !== "/login/sent") throw new Error(`POST /login answered ${response.status}`);
  return tokenIn(await lastMailTo(email.trim().toLowerCase()));
}

/** The `name=value` pair from a response's Set-Cookie, ready to send back as a Cookie header. */
export function cookieFrom(response: Response): string {
  const header = response.headers.get("Set-Cookie");
  if (!header) throw new Error("response set no cookie");
  return header.split(";")[0]!;
}

/** Signs in through the real flow (request link → read mail → confirm) and returns the cookie. */
export async function signIn(email: string, { cookie }: { cookie?: string } = {}): Promise<string> {
  const token = await requestLink(email);
  const response = await post("/auth/verify", { token }, { cookie });
  if (response.status !== 303) throw new Error(`POST /auth/verify answered ${response.status}`);
  return cookieFrom(response);
}

export async function count(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
  return row!.n;
}

/** The "check your email" page a POST /login redirected to, as the browser would load it (with its cookie). */
export async function followToSentPage(response: Response): Promise<Response> {
  if (response.headers.get("Location") !== "/login/sent") throw new Error(`expected a redirect to /login/sent, got ${response.status}`);
  return get("/login/sent", { headers: { Cookie: cookieFrom(response) } });
}

/** A page's HTML without the `<!-- -->` markers React puts between adjacent text parts. */
export async function htmlOf(response: Response): Promise<string> {
  return (await response.text()).replaceAll("<!-- -->", "");
}

/** The name of the "check your email" cookie over https (the tests' APP_URL). */
export const SENT_COOKIE = "__Host-latchkey_sent";

export interface SentCookieState {
  email: string;
  redirectTo: string | null;
  nextSendAt: number;
  justSent: boolean;
  codeSpent: boolean;
}

/**
 * What the `latchkey_sent` cookie a response set holds, decoded as Remix encodes it (base64 of JSON,
 * then a signature after the last "."). The signature is the app's to check, not this helper's.
 */
export function sentStateIn(response: Response): SentCookieState {
  const header = response.headers.getSetCookie().find((c) => c.startsWith(`${SENT_COOKIE}=`));
  if (!header) throw new Error(`response set no ${SENT_COOKIE} cookie`);
  const signed = decodeURIComponent(header.slice(SENT_COOKIE.length + 1).split(";")[0]!);
  const encoded = signed.slice(0, signed.lastIndexOf("."));
  return JSON.parse(JSON.parse(decodeURIComponent(escape(atob(encoded))))) as SentCookieState;
}

/** The cookie's attributes (Max-Age, Path, Secure, …) without its value. */
export function sentCookieAttributes(response: Response): string {
  const header = response.headers.getSetCookie().find((c) => c.startsWith(`${SENT_COOKIE}=`));
  if (!header) throw new Error(`response set no ${SENT_COOKIE} cookie`);
  return header.split(";").slice(1).join(";");
}

/**
 * A `latchkey_sent` Cookie header (as from cookieFrom) with its address swapped and its signature kept:
 * what someone editing their own cookie would send. The app must refuse it.
 */
export function withAddress(cookie: string, email: string): string {
  const eq = cookie.indexOf("=");
  const signed = decodeURIComponent(cookie.slice(eq + 1));
  const dot = signed.lastIndexOf(".");
  const state = JSON.parse(JSON.parse(atob(signed.slice(0, dot)))) as SentCookieState;
  const payload = btoa(JSON.stringify(JSON.stringify({ ...state, email })));
  return `${cookie.slice(0, eq)}=${encodeURIComponent(`${payload}${signed.slice(dot)}`)}`;
}
