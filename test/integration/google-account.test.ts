import { env } from "cloudflare:test";
import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { encryptTotpSecret } from "~/auth/two-factor/totp.server";
import { mailsTo, signIn } from "../helpers/app";
import { cookiesFrom, forgetGoogleKeys, getWithGoogle, postWithGoogle, signInWithGoogle, signInWithOneTap } from "../helpers/google";
import { signInWithGitHub } from "../helpers/github";
import { awayFromStepBoundary, totp } from "../helpers/totp";
import { GITHUB_ENV, interceptGitHub } from "../mocks/github";
import { GOOGLE_ENV, interceptGoogle, type FakeGoogleUser } from "../mocks/google";

const kat: FakeGoogleUser = { sub: "108000000000000000123", email: "kat@nasa.example", name: "Katherine Johnson", hd: "nasa.example" };
const identityCount = () => env.DB.prepare("SELECT count(*) AS n FROM identities").first<number>("n");
const linkedMails = async () => (await mailsTo("kat@nasa.example")).filter((m) => m.subject.startsWith("Google account kat@nasa.example was linked"));

/** An email account with an authenticator enabled, as if set up on the account page. */
async function enableTotpFor(email: string) {
  await signIn(email);
  const user = await env.DB.prepare("SELECT id FROM users WHERE email = ?1").bind(email).first<{ id: string }>();
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const encrypted = await encryptTotpSecret([(env as unknown as Env).TOTP_ENCRYPTION_KEY], user!.id, secret);
  await env.DB.prepare("INSERT INTO totp_credentials (user_id, encrypted_secret, created_at, enabled_at) VALUES (?1, ?2, 0, 1)").bind(user!.id, encrypted).run();
  return { userId: user!.id, code: () => totp(encodeBase32UpperCaseNoPadding(secret)) };
}

beforeEach(() => forgetGoogleKeys());

describe("Google sign-in and the account center", () => {
  it("asks a user with 2FA on for the second step after Google, and links the Google account only once it passes", async () => {
    const { userId, code } = await enableTotpFor("kat@nasa.example");
    const google = interceptGoogle(kat);
    const { response } = await signInWithGoogle(google);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/auth/2fa");
    expect(response.headers.getSetCookie().some((c) => c.startsWith("__Host-latchkey_session=") && !c.includes("Max-Age=0"))).toBe(false);
    // Past the first factor only: the Google account is attached to nothing yet, and nobody was told.
    expect(await identityCount()).toBe(0);
    expect(await linkedMails()).toHaveLength(0);

    await awayFromStepBoundary();
    const done = await postWithGoogle("/auth/2fa", { kind: "totp", code: await code() }, { cookie: cookiesFrom(response) });
    expect(done.status).toBe(303);
    const identity = await env.DB.prepare("SELECT user_id, provider, hosted_domain FROM identities").first();
    expect(identity).toEqual({ user_id: userId, provider: "google", hosted_domain: "nasa.example" });
    expect(await linkedMails()).toHaveLength(1);
    const session = await env.DB.prepare("SELECT method FROM sessions ORDER BY created_at DESC").first<{ method: string }>();
    expect(session!.method).toBe("google+totp");
  });

  it("asks for the second step after One Tap too", async () => {
    await enableTotpFor("kat@nasa.example");
    interceptGoogle(kat);
    const { response } = await signInWithOneTap(kat);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/auth/2fa");
    expect(await identityCount()).toBe(0);
  });

  it("lists Google next to GitHub on /account, with the Workspace domain, and unlinks it; the activity says so", async () => {
    const google = interceptGoogle(kat);
    const { response } = await signInWithGoogle(google);
    const cookie = cookiesFrom(response);
    vi.restoreAllMocks();
    interceptGitHub({ id: 77, login: "kat-j", name: null, emails: [{ email: "kat@nasa.example", primary: true, verified: true }] });
    await signInWithGitHub();
    vi.restoreAllMocks();

    const page = (await (await getWithGoogle("/account", { cookie, env: { ...GOOGLE_ENV, ...GITHUB_ENV } })).text()).replaceAll("<!-- -->", "");
    expect(page).toContain("kat@nasa.example (Katherine Johnson)");
    expect(page).toContain("Workspace: nasa.example");
    expect(page).toContain('aria-label="Unlink Google account kat@nasa.example"');
    expect(page).toContain('aria-label="Unlink GitHub account @kat-j"');

    const googleId = (await env.DB.prepare("SELECT id FROM identities WHERE provider = 'google'").first<{ id: string }>())!.id;
    const unlinked = await postWithGoogle("/account", { intent: "unlink-identity", identityId: googleId }, { cookie });
    expect(unlinked.status).toBe(200);
    expect(await unlinked.text()).toContain("Google is unlinked.");
    const left = await env.DB.prepare("SELECT provider FROM identities").all<{ provider: string }>();
    expect(left.results.map((r) => r.provider)).toEqual(["github"]);
    const after = (await (await getWithGoogle("/account", { cookie })).text()).replaceAll("<!-- -->", "");
    expect(after).toContain("Unlinked a Google Workspace account (nasa.example)");
    expect(after).toContain("Signed in with Google");
  });

  it("\"This wasn't me\" unlinks Google too", async () => {
    const google = interceptGoogle(kat);
    await signInWithGoogle(google);
    const { issueNoticeLinkToken } = await import("~/auth/email/verification-tokens.server");
    const { db } = await import("../helpers/deps");
    const { token } = await issueNoticeLinkToken(db, { email: "kat@nasa.example", purpose: "sign-out-everywhere", lifetimeMs: 60_000 }, new Date());
    const response = await postWithGoogle("/auth/not-me", { token });
    expect(response.status).toBe(200);
    expect(await identityCount()).toBe(0);
  });
});
