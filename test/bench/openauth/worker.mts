// A minimal OpenAuth issuer (@openauthjs/openauth 0.4.3) on Cloudflare KV, OpenAuth's own storage for
// Workers: the peer for Latchkey's token endpoint in `npm run bench`. Both redeem an authorization code
// from a public client with PKCE (S256) at POST /token (ours: POST /oauth/token) and answer with signed
// ES256 JWTs and a refresh token.
//
// One provider, "bench", that signs anyone in at once: the bench measures the code → token exchange,
// not a sign-in. POST /bench/codes?count=N (bench-only) runs N real authorize flows inside this isolate,
// /authorize then /bench/authorize, exactly as a browser would, and answers the codes: OpenAuth keeps a
// code for 60 seconds, so the bench asks for a fresh batch right before each load run.
//
// .mts, not .ts: the root tsconfig.json includes test/**/*.ts and this directory's node_modules is
// installed separately (as for the Better Auth peer).
import { issuer } from "@openauthjs/openauth";
import { CloudflareStorage } from "@openauthjs/openauth/storage/cloudflare";

interface Env {
  AUTH_KV: KVNamespace;
}

// A Standard Schema that accepts any object: OpenAuth's issuer doesn't validate subjects itself.
const anything = { "~standard": { version: 1, vendor: "bench", validate: (value: unknown) => ({ value }) } } as const;

const bench = {
  type: "bench",
  init(route: any, ctx: any) {
    route.get("/authorize", (c: any) => ctx.success(c, { email: "bench@example.com" }));
  },
};

function createIssuer(env: Env) {
  return issuer({
    storage: CloudflareStorage({ namespace: env.AUTH_KV }),
    subjects: { user: anything } as any,
    providers: { bench } as any,
    // The bench's client redirects to a host that isn't this one; allow it (Latchkey's bench client is registered).
    allow: async () => true,
    success: async (ctx: any, value: any) => ctx.subject("user", { id: "usr_bench", email: value.email }),
  });
}

let app: ReturnType<typeof createIssuer> | undefined;

async function mintCode(env: Env, exec: ExecutionContext, origin: string, params: URLSearchParams): Promise<string> {
  const authorize = new URL(`/authorize?${params}`, origin);
  const first = await app!.fetch(new Request(authorize), env, exec);
  const cookie = first.headers.get("set-cookie")?.split(";")[0];
  const providerUrl = new URL(first.headers.get("location")!, origin);
  const second = await app!.fetch(new Request(providerUrl, { headers: { cookie: cookie ?? "" } }), env, exec);
  const location = new URL(second.headers.get("location")!);
  const code = location.searchParams.get("code");
  if (!code) throw new Error(`no code: ${location.searchParams.get("error_description")}`);
  return code;
}

/**
 * OpenAuth 0.4.3 stores a code in KV for 60 s, computed as whole seconds until a deadline: when the clock
 * has moved on by then the TTL comes out as 59, and KV refuses anything under 60 ("Invalid expiration_ttl
 * of 59"), so that sign-in ends in a server_error. That is OpenAuth's authorize step, not the exchange the
 * bench measures; mint again.
 */
async function mintCodeWithRetries(...args: Parameters<typeof mintCode>): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await mintCode(...args);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

export default {
  async fetch(request: Request, env: Env, exec: ExecutionContext): Promise<Response> {
    app ??= createIssuer(env);
    const url = new URL(request.url);
    if (url.pathname === "/bench/codes" && request.method === "POST") {
      const count = Math.min(Number(url.searchParams.get("count") ?? 1), 20_000);
      const params = new URLSearchParams({
        provider: "bench",
        response_type: "code",
        client_id: url.searchParams.get("client_id")!,
        redirect_uri: url.searchParams.get("redirect_uri")!,
        state: "bench",
        code_challenge: url.searchParams.get("code_challenge")!,
        code_challenge_method: "S256",
      });
      const codes: string[] = [];
      for (let i = 0; i < count; i += 20) {
        const batch = Array.from({ length: Math.min(20, count - i) }, () => mintCodeWithRetries(env, exec, url.origin, params));
        codes.push(...(await Promise.all(batch)));
      }
      return Response.json(codes);
    }
    return app.fetch(request, env, exec);
  },
};
