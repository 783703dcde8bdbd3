import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { encryptTotpSecret } from "~/auth/two-factor/totp.server";
import { issueNoticeLinkToken } from "~/auth/email/verification-tokens.server";
import { db } from "../helpers/deps";
import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { cookiesFrom, getWithGitHub, signInWithGitHub } from "../helpers/github";
import { awayFromStepBoundary, totp } from "../helpers/totp";
import { fetchWithEnv, mailsTo, signIn, url } from "../helpers/app";
import { GITHUB_ENV, interceptGitHub, type FakeGitHubUser } from "../mocks/github";

const octo: FakeGitHubUser = { id: 4242, login: "octo", name: "Octo Cat", emails: [{ email: "octo@example.com", primary: true, verified: true }] };

/** A same-origin form POST with GitHub configured, as the account page's buttons send it. */
function postWithGitHub(path: string, form: Record<string, string>, cookie: string) {
  const target = url(path);
  return fetchWithEnv(
    new Request(target, {
      method: "POST",
      body: new URLSearchParams(form).toString(),
      headers: { Host: new URL(target).host, Origin: new URL(target).origin, Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      redirect: "manual",
    }),
    GITHUB_ENV,
  );
}

const linkedMails = (mails: { subject: string }[]) => mails.filter((m) => m.subject.startsWith("GitHub account @octo was linked"));

/** An email account with an authenticator enabled, as if set up on the account page. */
async function enableTotpFor(email: string) {
  await signIn(email);
  const user = await env.DB.prepare("SELECT id FROM users WHERE email = ?1").bind(email).first<{ id: string }>();
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const encrypted = await encryptTotpSecret([(env as unknown as Env).TOTP_ENCRYPTION_KEY], user!.id, secret);
  await env.DB.prepare("INSERT INTO totp_credentials (user_id, encrypted_secret, created_at, enabled_at) VALUES (?1, ?2, 0, 1)")
    .bind(user!.id, encrypted)
    .run();
  return { userId: user!.id, secret };
}

describe("GitHub sign-in and the account center", () => {
  it("asks a user with 2FA on for the second step after GitHub, and records both factors", async () => {
    interceptGitHub(octo);
    await signInWithGitHub();
    const user = await env.DB.prepare("SELECT id FROM users").first<{ id: string }>();
    const secret = crypto.getRandomValues(new Uint8Array(20));
    const encrypted = await encryptTotpSecret([(env as unknown as Env).TOTP_ENCRYPTION_KEY], user!.id, secret);
    await env.DB.prepare("INSERT INTO totp_credentials (user_id, encrypted_secret, created_at, enabled_at) VALUES (?1, ?2, 0, 1)")
      .bind(user!.id, encrypted)
      .run();

    const { response } = await signInWithGitHub();
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/auth/2fa");
    expect(response.headers.getSetCookie().some((c) => c.startsWith("__Host-latchkey_session=") && !c.includes("Max-Age=0"))).toBe(false);
    const pendingCookie = cookiesFrom(response);
    expect(pendingCookie).toContain("__Host-latchkey_2fa=");

    await awayFromStepBoundary();
    const done = await postWithGitHub("/auth/2fa", { kind: "totp", code: await totp(encodeBase32UpperCaseNoPadding(secret)) }, pendingCookie);
    expect(done.status).toBe(303);
    expect(done.headers.get("Location")).toBe("/dashboard");
    const session = await env.DB.prepare("SELECT method FROM sessions ORDER BY created_at DESC").first<{ method: string }>();
    expect(session!.method).toBe("github+totp");
  });

  it("shows the linked GitHub account on /account and unlinks it; the next GitHub sign-in links it again", async () => {
    interceptGitHub(octo);
    const { response } = await signInWithGitHub();
    const cookie = cookiesFrom(response);
    const page = await (await getWithGitHub("/account", { cookie })).text();
    expect(page).toContain("@<!-- -->octo<!-- --> (Octo Cat)");

    const identityId = (await env.DB.prepare("SELECT id FROM identities").first<{ id: string }>())!.id;
    const unlinked = await postWithGitHub("/account", { intent: "unlink-github", identityId }, cookie);
    expect(unlinked.status).toBe(200);
    expect(await unlinked.text()).toContain("GitHub is unlinked.");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM identities").first("n")).toBe(0);
    const after = await (await getWithGitHub("/account", { cookie })).text();
    expect(after).toContain("Unlinked GitHub account @octo");
    expect((await postWithGitHub("/account", { intent: "unlink-github", identityId }, cookie)).status).toBe(404);

    await signInWithGitHub();
    expect(await env.DB.prepare("SELECT count(*) AS n FROM identities").first("n")).toBe(1);
    expect((await mailsTo("octo@example.com")).filter((m) => m.subject.startsWith("GitHub account @octo was linked"))).toHaveLength(1);
  });

  it("links a GitHub account that matched a 2FA account by email only once the second step passes", async () => {
    const { userId, secret } = await enableTotpFor("octo@example.com");
    interceptGitHub(octo);
    const { response } = await signInWithGitHub();
    expect(response.headers.get("Location")).toBe("/auth/2fa");
    // Past the first factor only: the GitHub account is attached to nothing yet, and nobody was told.
    expect(await env.DB.prepare("SELECT count(*) AS n FROM identities").first("n")).toBe(0);
    expect(linkedMails(await mailsTo("octo@example.com"))).toHaveLength(0);

    await awayFromStepBoundary();
    const done = await postWithGitHub("/auth/2fa", { kind: "totp", code: await totp(encodeBase32UpperCaseNoPadding(secret)) }, cookiesFrom(response));
    expect(done.status).toBe(303);
    const identity = await env.DB.prepare("SELECT user_id, provider_user_id FROM identities").first<{ user_id: string; provider_user_id: string }>();
    expect(identity).toEqual({ user_id: userId, provider_user_id: "4242" });
    expect(linkedMails(await mailsTo("octo@example.com"))).toHaveLength(1);
  });

  it("leaves nothing linked when a GitHub sign-in never passes the second step", async () => {
    await enableTotpFor("octo@example.com");
    interceptGitHub(octo);
    const { response } = await signInWithGitHub();
    const wrong = await postWithGitHub("/auth/2fa", { kind: "totp", code: "000000" }, cookiesFrom(response));
    expect(wrong.status).toBe(400);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM identities").first("n")).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE method LIKE 'github%'").first("n")).toBe(0);
  });

  it("lists every linked GitHub account on /account, each removable on its own", async () => {
    interceptGitHub(octo);
    const { response } = await signInWithGitHub();
    const cookie = cookiesFrom(response);
    vi.restoreAllMocks();
    interceptGitHub({ id: 5151, login: "octo-work", name: null, emails: [{ email: "octo@example.com", primary: true, verified: true }] });
    await signInWithGitHub();
    expect(await env.DB.prepare("SELECT count(*) AS n FROM identities").first("n")).toBe(2);

    const page = await (await getWithGitHub("/account", { cookie })).text();
    expect(page).toContain('aria-label="Unlink GitHub account @octo"');
    expect(page).toContain('aria-label="Unlink GitHub account @octo-work"');

    const work = await env.DB.prepare("SELECT id FROM identities WHERE login = 'octo-work'").first<{ id: string }>();
    expect((await postWithGitHub("/account", { intent: "unlink-github", identityId: work!.id }, cookie)).status).toBe(200);
    const left = await env.DB.prepare("SELECT login FROM identities").all<{ login: string }>();
    expect(left.results.map((r) => r.login)).toEqual(["octo"]);
  });

  it("\"This wasn't me\" unlinks GitHub too, so an intruder's linked GitHub account can't get back in", async () => {
    interceptGitHub(octo);
    await signInWithGitHub();
    const { token } = await issueNoticeLinkToken(db, { email: "octo@example.com", purpose: "sign-out-everywhere", lifetimeMs: 60_000 }, new Date());
    const response = await postWithGitHub("/auth/not-me", { token }, "");
    expect(response.status).toBe(200);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM identities").first("n")).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE method LIKE 'github%'").first("n")).toBe(0);
  });
});
