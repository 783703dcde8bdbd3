/**
 * Every page that makes a sensitive change (SES-5) asks a session signed in more than ten minutes ago to
 * confirm it's you first, for its GET and for its POST. One table, so a new account page that needs the
 * guard is one line here, and a page that forgot it fails.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Browser } from "../helpers/browser";

const EMAIL = "ada@example.com";

/** As if the sign-in happened `minutes` ago. */
async function ageSessions(minutes: number) {
  const ms = minutes * 60_000;
  await env.DB.prepare("UPDATE sessions SET created_at = created_at - ?1, authenticated_at = authenticated_at - ?1").bind(ms).run();
}

/** What a sensitive change could touch: the account, its authenticator, its recovery codes. */
const state = () =>
  env.DB.prepare(
    `SELECT (SELECT count(*) FROM users) AS users, (SELECT group_concat(encrypted_secret || enabled_at) FROM totp_credentials) AS totp,
            (SELECT group_concat(code_hash) FROM recovery_codes) AS codes`,
  ).first();

const confirmPage = (next: string, then?: string) => `/account/confirm?${new URLSearchParams(then ? { next, then } : { next })}`;

/** `then` names the change the confirmation goes on with, for the ones that can continue without a new click. */
type Request = { method: "GET" | "POST"; path: string; form?: Record<string, string>; next: string; then?: string };

const GUARDED: Request[] = [
  { method: "POST", path: "/account", form: { intent: "setup-2fa" }, next: "/account#two-factor", then: "setup-2fa" },
  { method: "POST", path: "/account", form: { intent: "disable-2fa" }, next: "/account#two-factor", then: "disable-2fa" },
  { method: "GET", path: "/account/2fa", next: "/account#two-factor" },
  { method: "POST", path: "/account/2fa", form: { code: "123456" }, next: "/account#two-factor" },
  { method: "GET", path: "/account/recovery-codes", next: "/account/recovery-codes" },
  { method: "POST", path: "/account/recovery-codes", form: {}, next: "/account/recovery-codes" },
  { method: "GET", path: "/account/delete", next: "/account/delete" },
  { method: "POST", path: "/account/delete", form: { email: EMAIL }, next: "/account/delete" },
];

describe("changes that need a recent sign-in", () => {
  it.each(GUARDED.map((r) => [`${r.method} ${r.path}${r.form?.intent ? ` (${r.form.intent})` : ""}`, r] as const))(
    "%s sends an 11-minute-old session to confirm first, and changes nothing",
    async (_, { method, path, form, next, then }) => {
      const browser = new Browser();
      await browser.signInWithEmail(EMAIL);
      // 2FA on (set up after this sign-in), so the recovery-code page has something to replace.
      await env.DB.prepare("INSERT INTO totp_credentials (user_id, encrypted_secret, created_at, enabled_at) SELECT id, 'sealed', ?1, ?1 FROM users")
        .bind(Date.now())
        .run();
      await ageSessions(11);
      const before = await state();

      const response = method === "GET" ? await browser.get(path) : await browser.post(path, form!);
      expect(response.status).toBe(303);
      expect(response.headers.get("Location")).toBe(confirmPage(next, then));
      expect(await state()).toEqual(before);
    },
  );

  it("lets the same session through once it confirms", async () => {
    const browser = new Browser();
    await browser.signInWithEmail(EMAIL);
    await ageSessions(11);
    await env.DB.prepare("UPDATE sessions SET authenticated_at = ?1").bind(Date.now()).run();
    expect((await browser.get("/account/delete")).status).toBe(200);
  });
});
