// Secrets are not in wrangler.toml, so `wrangler types` can't see them; declare them here.
interface Env {
  SESSION_SECRET: string;
  RESEND_API_KEY?: string;
  /** Set by `npm run bench` only: adds an X-D1-Queries header to every response. */
  BENCH_COUNT_QUERIES?: string;
}
