/** Domain-level dependencies for unit tests: the real local D1 and KV, a parsed config, a movable clock. */
import { env } from "cloudflare:test";
import type { AuthDeps } from "~/auth/deps";
import { startSessionForUser } from "~/auth/session/start.server";
import type { ClientInfo } from "~/lib/client-info.server";
import { sha256Hex } from "~/lib/crypto.server";
import { createDb } from "~/lib/db.server";
import { readConfig, type AppConfig } from "~/lib/env.server";
import type { MailMessage, Mailer } from "~/lib/mail/mailer.server";

export const db = createDb(env.DB);

export function testConfig(overrides: Partial<Record<keyof Env, unknown>> = {}): AppConfig {
  const result = readConfig({ ...env, ...overrides } as Env);
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.config;
}

export const MINUTE = 60 * 1000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A clock that only moves when the test says so. */
export function testClock(start = Date.UTC(2026, 0, 1, 12)) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
    at: (ms: number) => new Date(start + ms),
  };
}

export const client = { ip: "203.0.113.7", userAgent: "vitest", country: "NL", city: "Amsterdam" };

/** A mailer that keeps what it was asked to send, and can be told to fail. */
export function recordingMailer({ fail = false } = {}) {
  const sent: MailMessage[] = [];
  const mailer: Mailer = {
    async send(message) {
      sent.push(message);
      return fail ? { ok: false, error: "provider down" } : { ok: true };
    },
  };
  return { sent, mailer };
}

/** Everything the sign-in functions need; `settle()` waits for work handed to waitUntil. */
export function signInDeps({
  clock = testClock(),
  mailer = recordingMailer().mailer,
  config = testConfig(),
}: { clock?: ReturnType<typeof testClock>; mailer?: Mailer; config?: AppConfig } = {}) {
  const pending: Promise<unknown>[] = [];
  const deps: AuthDeps = { db, config, mailer, kv: env.RATE_LIMITS, now: clock.now, waitUntil: (p) => void pending.push(p) };
  return { deps, settle: () => Promise.all(pending) };
}

export const linkTokenIn = (mail: MailMessage) => new URL(mail.text.match(/https?:\S+/)![0]).searchParams.get("token")!;
export const codeIn = (mail: MailMessage) => mail.text.match(/code on the sign-in page: (\d{6})/)![1]!;

/** A signed-in session for an existing user, made the way GitHub sign-in makes one. */
export async function createTestSession(userId: string, clientInfo: ClientInfo, { now, config }: { now: Date; config: AppConfig }) {
  const outcome = await startSessionForUser(
    { db, config, now: () => now },
    { userId, redirectTo: null, method: "link", client: clientInfo, previousSessionToken: null },
  );
  if (outcome.kind !== "session") throw new Error("createTestSession: this user has 2FA on");
  const id = await sha256Hex(outcome.token);
  const session = await env.DB.prepare("SELECT id FROM sessions WHERE id = ?").bind(id).first<{ id: string }>();
  return { token: outcome.token, session: { id: session!.id, expiresAt: outcome.expiresAt } };
}
