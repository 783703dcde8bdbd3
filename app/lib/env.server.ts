/**
 * The Worker's configuration, parsed once per isolate from its bindings. A deployment with a missing
 * or malformed setting gets a clear configuration page (see the worker's config middleware) rather than
 * failing halfway through a sign-in.
 *
 * Parsed with `zod/mini` (the same zod 4 package and checks as `zod`, as functions instead of methods):
 * the deployed bundle then holds only the checks used here, about 8 KiB gzip, where `import { z } from
 * "zod"` pulled in all of zod with every locale, 92 KiB gzip (BENCHMARKS.md, issue 15).
 */
import * as z from "zod/mini";
import { parseTheme, type Theme, type ThemeVars } from "./theme";
import type { SendEmailBinding } from "./mail/cloudflare.server";

/** Which adapter sends mail (app/lib/mail/create-mailer.server.ts; docs/decisions/010). */
export const EMAIL_PROVIDERS = ["resend", "postmark", "cloudflare", "outbox"] as const;
export type EmailProvider = (typeof EMAIL_PROVIDERS)[number];

/** The shipped wrangler.toml's example host: a deployment still on it hasn't been configured. */
export const PLACEHOLDER_HOST = "latchkey.example.com";

/** A whole number from a var (vars are strings; tests may pass numbers), with a message that names it. */
const wholeNumber = (name: string, min: number, max: number, unit: string) => {
  const error = `${name} must be a whole number of ${unit} from ${min} to ${max}`;
  return z.coerce.number({ error }).check(z.int({ error }), z.minimum(min, { error }), z.maximum(max, { error }));
};

const days = (fallback: number, name: string) =>
  z.pipe(z._default(wholeNumber(name, 1, 400, "days"), fallback), z.transform((d: number) => d * 24 * 60 * 60 * 1000));

const RATE = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** "20/3600" → at most 20 per 3600 seconds; null when malformed or zero. */
function parseRate(value: string): Rate | null {
  const match = RATE.exec(value);
  const limit = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  return match && limit >= 1 && seconds >= 1 ? { limit, windowMs: seconds * 1000 } : null;
}

const rate = (fallback: string, name: string) =>
  z.pipe(
    z._default(z.string().check(z.refine((value) => parseRate(value) !== null, { error: `${name} must look like "COUNT/SECONDS", e.g. "${fallback}"` })), fallback),
    z.transform((value: string) => parseRate(value)!),
  );

const seconds = (fallback: number, name: string) =>
  z.pipe(z._default(wholeNumber(name, 1, Number.MAX_SAFE_INTEGER, "seconds"), fallback), z.transform((s: number) => s * 1000));

const httpUrl = (error: string) => z.url({ protocol: /^https?$/, error });

/** A comma-separated list of secrets, newest first, each at least 32 characters. */
const secretList = (missing: string, malformed: string) =>
  z
    .pipe(
      z.string({ error: missing }),
      z.transform((value: string) => value.split(",").map((s) => s.trim()).filter(Boolean)),
    )
    .check(z.refine((list) => list.length > 0 && list.every((s) => s.length >= 32), { error: malformed }));

const trimmed = () => z.optional(z.string().check(z.trim()));

const ConfigSchema = z
  .object({
    APP_URL: z.pipe(
      httpUrl("APP_URL must be an http(s) URL such as https://auth.example.com").check(
        z.refine((value) => !URL.canParse(value) || new URL(value).hostname !== PLACEHOLDER_HOST, {
          error: `APP_URL is still the example https://${PLACEHOLDER_HOST}: set it to the address people will open, e.g. https://latchkey.<your-subdomain>.workers.dev or https://auth.yourdomain.com (APP_URL in wrangler.toml [vars]), then npm run deploy`,
        }),
      ),
      z.transform((value: string) => new URL(value).origin),
    ),
    SESSION_SECRET: secretList(
      "SESSION_SECRET is not set (wrangler secret put SESSION_SECRET)",
      "SESSION_SECRET must be one or more comma-separated secrets of at least 32 characters",
    ),
    EMAIL_PROVIDER: z.enum(EMAIL_PROVIDERS, { error: 'EMAIL_PROVIDER must be "resend", "postmark", "cloudflare" or "outbox"' }),
    EMAIL_FROM: z.string({ error: "EMAIL_FROM is not set" }).check(
      z.minLength(3, { error: "EMAIL_FROM is not set" }),
      z.refine((value) => !value.toLowerCase().includes(`@${PLACEHOLDER_HOST}`), {
        error: `EMAIL_FROM is still the example address on ${PLACEHOLDER_HOST}: set it to an address on your verified sending domain, e.g. "Latchkey <login@yourdomain.com>" (EMAIL_FROM in wrangler.toml [vars])`,
      }),
    ),
    RESEND_API_KEY: z.optional(z.string()),
    POSTMARK_SERVER_TOKEN: z.optional(z.string()),
    /** Cloudflare Email Service: the `send_email` binding ([[send_email]] name = "EMAIL"). */
    EMAIL: z.optional(z.custom<SendEmailBinding>((value) => typeof (value as SendEmailBinding | undefined)?.send === "function")),
    TOTP_ENCRYPTION_KEY: secretList(
      "TOTP_ENCRYPTION_KEY is not set (wrangler secret put TOTP_ENCRYPTION_KEY; e.g. openssl rand -base64 32)",
      "TOTP_ENCRYPTION_KEY must be one or more comma-separated keys of at least 32 characters",
    ),
    GITHUB_CLIENT_ID: trimmed(),
    GITHUB_CLIENT_SECRET: trimmed(),
    GITHUB_OAUTH_URL: z.optional(httpUrl("GITHUB_OAUTH_URL must be an http(s) URL")),
    GITHUB_API_URL: z.optional(httpUrl("GITHUB_API_URL must be an http(s) URL")),
    GOOGLE_CLIENT_ID: trimmed(),
    GOOGLE_CLIENT_SECRET: trimmed(),
    SESSION_LIFETIME_DAYS: days(30, "SESSION_LIFETIME_DAYS"),
    SESSION_IDLE_DAYS: days(7, "SESSION_IDLE_DAYS"),
    ALLOW_SIGNUP: z.pipe(
      z._default(z.enum(["true", "false"], { error: 'ALLOW_SIGNUP must be "true" or "false"' }), "true"),
      z.transform((v: "true" | "false") => v === "true"),
    ),
    LIMIT_IP_SENDS: rate("20/3600", "LIMIT_IP_SENDS"),
    LIMIT_IP_VERIFY: rate("30/600", "LIMIT_IP_VERIFY"),
    LIMIT_EMAIL_SEND_INTERVAL_SECONDS: seconds(30, "LIMIT_EMAIL_SEND_INTERVAL_SECONDS"),
    LIMIT_EMAIL_SENDS: rate("5/3600", "LIMIT_EMAIL_SENDS"),
    CODE_MAX_ATTEMPTS: z._default(wholeNumber("CODE_MAX_ATTEMPTS", 1, 10, "attempts"), 5),
    LIMIT_CODE_FAILURES: rate("10/3600", "LIMIT_CODE_FAILURES"),
    LIMIT_GLOBAL_SENDS: rate("1000/3600", "LIMIT_GLOBAL_SENDS"),
    CODE_COOLDOWN_SECONDS: seconds(3600, "CODE_COOLDOWN_SECONDS"),
  })
  .check(
    z.refine((c) => c.EMAIL_PROVIDER !== "resend" || (c.RESEND_API_KEY?.length ?? 0) > 0, {
      error: "RESEND_API_KEY is not set but EMAIL_PROVIDER is resend (wrangler secret put RESEND_API_KEY)",
      path: ["RESEND_API_KEY"],
    }),
    z.refine((c) => c.EMAIL_PROVIDER !== "postmark" || (c.POSTMARK_SERVER_TOKEN?.trim().length ?? 0) > 0, {
      error:
        "POSTMARK_SERVER_TOKEN is not set but EMAIL_PROVIDER is postmark (wrangler secret put POSTMARK_SERVER_TOKEN; it is the Server API token on your Postmark server's API Tokens tab)",
      path: ["POSTMARK_SERVER_TOKEN"],
    }),
    z.refine((c) => c.EMAIL_PROVIDER !== "cloudflare" || c.EMAIL !== undefined, {
      error:
        'EMAIL_PROVIDER is cloudflare but the Worker has no EMAIL binding: add [[send_email]] with name = "EMAIL" to wrangler.toml (npm run setup:cloudflare does it), then npm run deploy',
      path: ["EMAIL"],
    }),
    // Issue 10 item 11: a deployment left on the outbox would keep everyone's sign-in links in D1 instead
    // of sending them (LOG-2: the dev outbox exists only locally).
    z.refine((c) => c.EMAIL_PROVIDER !== "outbox" || !URL.canParse(c.APP_URL) || isOutboxAllowedFor(c.APP_URL), {
      error:
        "EMAIL_PROVIDER is outbox, which keeps sign-in emails in this Worker's database instead of sending them, so nobody would get their link; it only works when APP_URL is on this machine (e.g. http://localhost:8787). Set EMAIL_PROVIDER to resend, postmark or cloudflare",
      path: ["EMAIL_PROVIDER"],
    }),
    z.refine((c) => !c.GITHUB_CLIENT_ID || (c.GITHUB_CLIENT_SECRET?.length ?? 0) > 0, {
      error: "GITHUB_CLIENT_SECRET is not set but GITHUB_CLIENT_ID is (wrangler secret put GITHUB_CLIENT_SECRET)",
      path: ["GITHUB_CLIENT_SECRET"],
    }),
    z.refine((c) => !c.GOOGLE_CLIENT_ID || (c.GOOGLE_CLIENT_SECRET?.length ?? 0) > 0, {
      error: "GOOGLE_CLIENT_SECRET is not set but GOOGLE_CLIENT_ID is (wrangler secret put GOOGLE_CLIENT_SECRET)",
      path: ["GOOGLE_CLIENT_SECRET"],
    }),
  );

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True when APP_URL points at this machine: the only place dev-only helpers (mailbox, stand-ins) run. */
export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(url).hostname);
}

/**
 * Where the outbox may keep mail: an APP_URL on this machine, or under `.test`, which RFC 6761 §6.2
 * reserves for testing (it never resolves on the public internet, so nobody outside can be sent there;
 * the workerd test suite runs as https://latchkey.test). Reading the mailbox still needs loopback.
 */
export function isOutboxAllowedFor(appUrl: string): boolean {
  return isLoopbackUrl(appUrl) || new URL(appUrl).hostname.endsWith(".test");
}

/** Where the local GitHub stand-in lives (served by this Worker, loopback only; see app/dev/github-stand-in.ts). */
export const GITHUB_STAND_IN_PATH = "/dev/github";

/** Where the local Google stand-in lives (served by this Worker, loopback only; see app/dev/google-stand-in.ts). */
export const GOOGLE_STAND_IN_PATH = "/dev/google";

export interface AppConfig {
  /** Name, logo, accent colour, font, support address and legal links, for pages and emails (BRAND_* vars). */
  theme: Theme;
  appUrl: string;
  /** Newest first: the first signs, all verify, so secrets can rotate without signing everyone out. */
  sessionSecrets: string[];
  /** The session cookie can only be __Host-/Secure when the app is served over https. */
  secureCookies: boolean;
  emailProvider: EmailProvider;
  emailFrom: string;
  resendApiKey: string | undefined;
  postmarkServerToken: string | undefined;
  sessionLifetimeMs: number;
  sessionIdleMs: number;
  /** When false, only existing accounts get sign-in emails (unknown addresses see the same page). */
  allowSignup: boolean;
  limits: RateLimits;
  /** AES-GCM keys for TOTP secrets at rest, newest first (the first encrypts, all decrypt). */
  totpEncryptionKeys: string[];
  /** Null when GitHub sign-in is off (no credentials, and not a local run with the stand-in). */
  github: GitHubConfig | null;
  /** Null when Google sign-in is off (no credentials, and not a local run with the stand-in). */
  google: GoogleConfig | null;
}

export interface GitHubConfig {
  clientId: string;
  clientSecret: string;
  /** https://github.com, or the local stand-in. Authorize and token endpoints live under /login/oauth. */
  oauthUrl: string;
  /** https://api.github.com, or the local stand-in's API. */
  apiUrl: string;
  /** The exact callback URL registered with the OAuth app; sent in both the authorize and token requests. */
  redirectUri: string;
  /** True when talking to the local stand-in rather than GitHub. */
  standIn: boolean;
}

export interface GoogleConfig {
  clientId: string;
  clientSecret: string;
  /** Where the browser is sent to sign in (Google's, or the local stand-in's). */
  authorizationEndpoint: string;
  /** Where the code is exchanged for tokens, server to server. */
  tokenEndpoint: string;
  /** The signing keys ID tokens are checked against. */
  jwksUri: string;
  /** The `iss` values an ID token may carry (Google uses two spellings of one issuer). */
  issuers: string[];
  /** The Google Identity Services script that shows One Tap. */
  oneTapScriptUrl: string;
  /** The exact redirect URI registered for the OAuth client; sent in both the authorize and token requests. */
  redirectUri: string;
  /** True when talking to the local stand-in rather than Google. */
  standIn: boolean;
}

export interface Rate {
  limit: number;
  windowMs: number;
}

export interface RateLimits {
  /** KV, per IP: sign-in emails requested. */
  ipSends: Rate;
  /** KV, per IP: codes and links submitted. */
  ipVerify: Rate;
  /** D1, per email: minimum gap between two sign-in emails. */
  emailSendIntervalMs: number;
  /** D1, per email: sign-in emails in a window. */
  emailSends: Rate;
  /** D1, per code: wrong guesses before the code is burned. */
  codeMaxAttempts: number;
  /** D1, per email: failed code attempts in a window that start a cool-down… */
  codeFailures: Rate;
  /** …of this long, during which code sign-in for that email is paused (links keep working). */
  codeCooldownMs: number;
  /**
   * D1, deployment-wide: sign-in emails per window. Past the limit new sign-ups get no email; past twice
   * the limit only browsers known to the account get one.
   */
  globalSends: Rate;
}

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; problems: string[] };

const parsed = new WeakMap<object, ConfigResult>();

export function readConfig(env: Env): ConfigResult {
  const cached = parsed.get(env);
  if (cached) return cached;
  const result = parseConfig(env);
  parsed.set(env, result);
  return result;
}

function parseConfig(env: Env): ConfigResult {
  const result = ConfigSchema.safeParse(env);
  const theme = parseTheme(env as ThemeVars);
  if (!result.success || !theme.ok) {
    const problems = [...(result.success ? [] : result.error.issues.map((issue) => issue.message)), ...(theme.ok ? [] : theme.problems)];
    return { ok: false, problems };
  }
  const c = result.data;
  return {
    ok: true,
    config: {
      theme: theme.theme,
      appUrl: c.APP_URL,
      sessionSecrets: c.SESSION_SECRET,
      secureCookies: c.APP_URL.startsWith("https:"),
      emailProvider: c.EMAIL_PROVIDER,
      emailFrom: c.EMAIL_FROM,
      resendApiKey: c.RESEND_API_KEY,
      postmarkServerToken: c.POSTMARK_SERVER_TOKEN?.trim(),
      sessionLifetimeMs: c.SESSION_LIFETIME_DAYS,
      sessionIdleMs: c.SESSION_IDLE_DAYS,
      allowSignup: c.ALLOW_SIGNUP,
      limits: {
        ipSends: c.LIMIT_IP_SENDS,
        ipVerify: c.LIMIT_IP_VERIFY,
        emailSendIntervalMs: c.LIMIT_EMAIL_SEND_INTERVAL_SECONDS,
        emailSends: c.LIMIT_EMAIL_SENDS,
        codeMaxAttempts: c.CODE_MAX_ATTEMPTS,
        codeFailures: c.LIMIT_CODE_FAILURES,
        codeCooldownMs: c.CODE_COOLDOWN_SECONDS,
        globalSends: c.LIMIT_GLOBAL_SENDS,
      },
      totpEncryptionKeys: c.TOTP_ENCRYPTION_KEY,
      github: githubConfig(c),
      google: googleConfig(c),
    },
  };
}

function githubConfig(c: z.infer<typeof ConfigSchema>): GitHubConfig | null {
  const redirectUri = new URL("/auth/github/callback", c.APP_URL).href;
  if (c.GITHUB_CLIENT_ID) {
    return {
      clientId: c.GITHUB_CLIENT_ID,
      clientSecret: c.GITHUB_CLIENT_SECRET!,
      oauthUrl: trimSlash(c.GITHUB_OAUTH_URL ?? "https://github.com"),
      apiUrl: trimSlash(c.GITHUB_API_URL ?? "https://api.github.com"),
      redirectUri,
      standIn: false,
    };
  }
  // No credentials: a local run talks to the stand-in this Worker serves; a deployment hides the button.
  if (!isLoopbackUrl(c.APP_URL)) return null;
  const standIn = new URL(GITHUB_STAND_IN_PATH, c.APP_URL).href;
  return {
    clientId: "latchkey-local",
    clientSecret: "latchkey-local-stand-in-secret",
    oauthUrl: standIn,
    apiUrl: `${standIn}/api`,
    redirectUri,
    standIn: true,
  };
}

function googleConfig(c: z.infer<typeof ConfigSchema>): GoogleConfig | null {
  const redirectUri = new URL("/auth/google/callback", c.APP_URL).href;
  if (c.GOOGLE_CLIENT_ID) {
    return {
      clientId: c.GOOGLE_CLIENT_ID,
      clientSecret: c.GOOGLE_CLIENT_SECRET!,
      // Google's published OpenID configuration (https://accounts.google.com/.well-known/openid-configuration).
      authorizationEndpoint: "https://accounts.google.com/o/oauth2/v2/auth",
      tokenEndpoint: "https://oauth2.googleapis.com/token",
      jwksUri: "https://www.googleapis.com/oauth2/v3/certs",
      issuers: ["https://accounts.google.com", "accounts.google.com"],
      oneTapScriptUrl: "https://accounts.google.com/gsi/client",
      redirectUri,
      standIn: false,
    };
  }
  // No credentials: a local run talks to the stand-in this Worker serves; a deployment hides Google.
  if (!isLoopbackUrl(c.APP_URL)) return null;
  const standIn = new URL(GOOGLE_STAND_IN_PATH, c.APP_URL).href;
  return {
    clientId: "latchkey-local.apps.googleusercontent.com",
    clientSecret: "latchkey-local-google-stand-in-secret",
    authorizationEndpoint: `${standIn}/o/oauth2/v2/auth`,
    tokenEndpoint: `${standIn}/token`,
    jwksUri: `${standIn}/oauth2/v3/certs`,
    issuers: [standIn],
    oneTapScriptUrl: `${standIn}/gsi/client`,
    redirectUri,
    standIn: true,
  };
}

const trimSlash = (url: string) => url.replace(/\/+$/, "");
