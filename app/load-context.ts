/** What every Remix loader and action receives from the Worker (see app/worker.ts). */
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { Mailer } from "~/lib/mail/mailer.server";
import type { ClientInfo } from "~/lib/client-info.server";
import type { BurstLimiters } from "~/auth/gates.server";
import type { CspWidening } from "~/worker/middleware/security-headers";

export interface AppContext {
  env: Env;
  ctx: ExecutionContext;
  db: Database;
  config: AppConfig;
  mailer: Mailer;
  /** Rate-limit counters (the RATE_LIMITS binding). */
  kv: KVNamespace;
  /** Per-location burst gates (Cloudflare's Rate Limiting bindings). */
  limiters: BurstLimiters;
  /** Work that may finish after the response (ctx.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The clock, injectable so tests can move time. */
  now: () => Date;
  requestId: string;
  /**
   * IP, user agent and Cloudflare's location for this request, read at the Worker's entry: Remix
   * rebuilds the Request for some submissions (?index, _data), and the copies lose `request.cf`.
   */
  client: ClientInfo;
  /** Per-request CSP nonce for the inline scripts Remix renders. */
  cspNonce: string;
  /** Adds sources to this response's CSP (e.g. Google One Tap's origins on the pages that show it). */
  csp: CspWidening;
}

declare module "@remix-run/cloudflare" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends AppContext {}
}
