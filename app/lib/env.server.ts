/**
 * The Worker's configuration, parsed once per isolate from its bindings. A deployment with a missing
 * or malformed setting gets a clear configuration page (see the worker's config middleware) rather than
 * failing halfway through a sign-in.
 */
import { z } from "zod";

const days = (fallback: number) =>
  z.coerce.number().int().min(1).max(400).default(fallback).transform((d) => d * 24 * 60 * 60 * 1000);

const ConfigSchema = z
  .object({
    APP_URL: z
      .url({ protocol: /^https?$/, error: "APP_URL must be an http(s) URL such as https://auth.example.com" })
      .transform((value) => new URL(value).origin),
    SESSION_SECRET: z
      .string({ error: "SESSION_SECRET is not set (wrangler secret put SESSION_SECRET)" })
      .transform((value) => value.split(",").map((s) => s.trim()).filter(Boolean))
      .refine((secrets) => secrets.length > 0 && secrets.every((s) => s.length >= 32), {
        error: "SESSION_SECRET must be one or more comma-separated secrets of at least 32 characters",
      }),
    EMAIL_PROVIDER: z.enum(["resend", "outbox"], { error: 'EMAIL_PROVIDER must be "resend" or "outbox"' }),
    EMAIL_FROM: z.string().min(3, { error: "EMAIL_FROM is not set" }),
    RESEND_API_KEY: z.string().optional(),
    SESSION_LIFETIME_DAYS: days(30),
    SESSION_IDLE_DAYS: days(7),
  })
  .refine((c) => c.EMAIL_PROVIDER !== "resend" || (c.RESEND_API_KEY?.length ?? 0) > 0, {
    error: "RESEND_API_KEY is not set but EMAIL_PROVIDER is resend (wrangler secret put RESEND_API_KEY)",
    path: ["RESEND_API_KEY"],
  });

export interface AppConfig {
  appUrl: string;
  /** Newest first: the first signs, all verify, so secrets can rotate without signing everyone out. */
  sessionSecrets: string[];
  /** The session cookie can only be __Host-/Secure when the app is served over https. */
  secureCookies: boolean;
  emailProvider: "resend" | "outbox";
  emailFrom: string;
  resendApiKey: string | undefined;
  sessionLifetimeMs: number;
  sessionIdleMs: number;
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
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((issue) => issue.message) };
  }
  const c = result.data;
  return {
    ok: true,
    config: {
      appUrl: c.APP_URL,
      sessionSecrets: c.SESSION_SECRET,
      secureCookies: c.APP_URL.startsWith("https:"),
      emailProvider: c.EMAIL_PROVIDER,
      emailFrom: c.EMAIL_FROM,
      resendApiKey: c.RESEND_API_KEY,
      sessionLifetimeMs: c.SESSION_LIFETIME_DAYS,
      sessionIdleMs: c.SESSION_IDLE_DAYS,
    },
  };
}
