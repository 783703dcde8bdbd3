// Minimal Better Auth Worker on Cloudflare D1: a benchmark peer for Latchkey's "who is signed in"
// request. Everything under /api/auth/* is Better Auth's own handler; nothing else is served.
//
// The file is .mts (not .ts) on purpose: the repo root tsconfig.json includes test/**/*.ts, and this
// directory's node_modules is installed separately, so a .ts file here would break the root
// `npm run typecheck` on any machine that has not run `npm ci` in this directory.
import { betterAuth } from "better-auth";

// Minimal shapes of the bindings used (no @cloudflare/workers-types dependency in this directory).
interface D1Like {
  prepare(query: string): unknown;
  batch(statements: unknown[]): Promise<unknown[]>;
  exec(query: string): Promise<unknown>;
}

interface Env {
  DB: D1Like;
  BETTER_AUTH_SECRET: string;
}

type Auth = ReturnType<typeof betterAuth>;

function createAuth(env: Env, origin: string): Auth {
  return betterAuth({
    // Better Auth recognises a D1 binding (has batch/exec/prepare) and uses its built-in Kysely
    // D1 dialect; no separate adapter package is needed.
    database: env.DB as never,
    secret: env.BETTER_AUTH_SECRET,
    baseURL: origin,
    emailAndPassword: { enabled: true },
    // Defaults made explicit so the benchmark is unambiguous: no in-memory rate limiter (it would
    // answer 429 after 100 requests per 10 s per IP), no cookie cache (every get-session reads D1),
    // no telemetry.
    rateLimit: { enabled: false },
    session: { cookieCache: { enabled: false } },
    telemetry: { enabled: false },
  });
}

// One Better Auth instance per env object and origin, reused across requests in the isolate.
const cache = new WeakMap<Env, Map<string, Auth>>();

function getAuth(env: Env, origin: string): Auth {
  let byOrigin = cache.get(env);
  if (!byOrigin) {
    byOrigin = new Map();
    cache.set(env, byOrigin);
  }
  let auth = byOrigin.get(origin);
  if (!auth) {
    auth = createAuth(env, origin);
    byOrigin.set(origin, auth);
  }
  return auth;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/api/auth/")) {
      return new Response("Not found", { status: 404 });
    }
    return getAuth(env, url.origin).handler(request);
  },
};
