// Secrets are not in wrangler.toml, so `wrangler types` can't see them; declare them here.
interface Env {
  SESSION_SECRET: string;
  RESEND_API_KEY?: string;
  POSTMARK_SERVER_TOKEN?: string;
  /** Cloudflare Email Service ([[send_email]] name = "EMAIL"); only with EMAIL_PROVIDER=cloudflare. */
  EMAIL?: SendEmail;
  /** AES-GCM key material for TOTP secrets at rest (comma-separated, newest first). */
  TOTP_ENCRYPTION_KEY: string;
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  /** Override GitHub's endpoints (GitHub Enterprise, or a stand-in). */
  GITHUB_OAUTH_URL?: string;
  GITHUB_API_URL?: string;
  /** Google sign-in: the OAuth client's id (a var) and secret (a secret). */
  GOOGLE_CLIENT_ID?: string;
  GOOGLE_CLIENT_SECRET?: string;
  /** Set by `npm run bench` only: the local entry (app/dev/query-counter.ts) adds an X-D1-Queries header to every response. */
  BENCH_COUNT_QUERIES?: string;
}
