import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { count, get, mailsTo, signIn } from "../helpers/app";
import { s256 } from "../helpers/github";
import {
  cookiesFrom,
  forgetGoogleKeys,
  getWithGoogle,
  googleCallback,
  setCookieNamed,
  signInWithGoogle,
  startGoogleSignIn,
} from "../helpers/google";
import { GOOGLE_ENV, hang, interceptGoogle, json, testKeys, unreachable, type FakeGoogleUser, type TokenOptions } from "../mocks/google";
import { expectConsoleErrors } from "../setup";

const ada: FakeGoogleUser = {
  sub: "108000000000000000042",
  email: "Ada@Example.com",
  email_verified: true,
  name: "Ada Lovelace",
  picture: "https://lh3.googleusercontent.com/a/ada",
};

const user = (email: string) => env.DB.prepare("SELECT * FROM users WHERE email = ?").bind(email).first<{ id: string; email: string }>();
const identities = () => env.DB.prepare("SELECT * FROM identities").all<Record<string, unknown>>().then((r) => r.results);
const events = (type: string) =>
  env.DB.prepare("SELECT * FROM auth_events WHERE type = ? ORDER BY id").bind(type).all<{ detail: string | null; user_id: string | null }>().then((r) => r.results);
const sessionRows = () => env.DB.prepare("SELECT user_id, method FROM sessions").all<{ user_id: string; method: string }>().then((r) => r.results);

/** A page's text as a person reads it (React escapes apostrophes). */
const textOf = async (response: Response) => (await response.text()).replaceAll("&#x27;", "'").replaceAll("&#39;", "'");

/** Poll with the runtime's own timer (not a faked one) until `ready` holds. */
async function until(ready: () => boolean) {
  for (let i = 0; i < 400 && !ready(); i++) await scheduler.wait(5);
  if (!ready()) throw new Error("condition never became true");
}

beforeEach(() => forgetGoogleKeys());
afterEach(() => {
  vi.useRealTimers();
});

describe("GET /auth/google", () => {
  it("redirects to Google with openid email profile, state, nonce, PKCE S256, the exact redirect URI and account selection", async () => {
    const { response, authorizeUrl, state, nonce } = await startGoogleSignIn();
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    const params = authorizeUrl.searchParams;
    expect(params.get("response_type")).toBe("code");
    expect(params.get("client_id")).toBe(GOOGLE_ENV.GOOGLE_CLIENT_ID);
    expect(params.get("redirect_uri")).toBe("https://latchkey.test/auth/google/callback");
    expect(params.get("scope")).toBe("openid email profile");
    expect(params.get("prompt")).toBe("select_account");
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nonce).not.toBe(state);
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const stateCookie = setCookieNamed(response, "__Host-latchkey_google")!;
    expect(stateCookie).toMatch(/; Secure/);
    expect(stateCookie).toMatch(/; HttpOnly/);
    expect(stateCookie).toMatch(/; SameSite=Lax/);
    expect(stateCookie).toMatch(/; Path=\//);
    expect(stateCookie).toMatch(/; Max-Age=600/);
    expect(stateCookie).not.toMatch(/Domain=/i);
  });

  it("uses a fresh state, nonce and challenge every time", async () => {
    const first = await startGoogleSignIn();
    const second = await startGoogleSignIn();
    expect(second.state).not.toBe(first.state);
    expect(second.nonce).not.toBe(first.nonce);
    expect(second.authorizeUrl.searchParams.get("code_challenge")).not.toBe(first.authorizeUrl.searchParams.get("code_challenge"));
  });

  it("is a 404 when Google sign-in is not configured", async () => {
    expect((await get("/auth/google")).status).toBe(404);
  });
});

describe("GET /auth/google/callback", () => {
  it("creates a new user, identity and session, sending the exact token request Google expects and checking the ID token against Google's keys", async () => {
    const google = interceptGoogle({ ...ada, hd: "example.com" });
    const { start, response } = await signInWithGoogle(google, { redirectTo: "/dashboard?from=google" });

    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/dashboard?from=google");
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(setCookieNamed(response, "__Host-latchkey_session")).toMatch(/HttpOnly/);
    // The flow's cookie is single use.
    expect(setCookieNamed(response, "__Host-latchkey_google")).toMatch(/Max-Age=0/);

    const [token] = google.tokenRequests();
    expect(google.tokenRequests()).toHaveLength(1);
    expect(token!.method).toBe("POST");
    expect(token!.headers.get("Authorization")).toBe(`Basic ${btoa(`${GOOGLE_ENV.GOOGLE_CLIENT_ID}:${GOOGLE_ENV.GOOGLE_CLIENT_SECRET}`)}`);
    expect(token!.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(token!.body!.get("grant_type")).toBe("authorization_code");
    expect(token!.body!.get("code")).toBe("4/google-code-1");
    expect(token!.body!.get("redirect_uri")).toBe("https://latchkey.test/auth/google/callback");
    expect(await s256(token!.body!.get("code_verifier")!)).toBe(start.authorizeUrl.searchParams.get("code_challenge"));
    expect(token!.body!.has("client_secret")).toBe(false);
    expect(google.jwksRequests()).toHaveLength(1);

    const created = await user("ada@example.com");
    expect(created?.id).toMatch(/^usr_/);
    expect(await identities()).toEqual([
      expect.objectContaining({
        user_id: created!.id,
        provider: "google",
        provider_user_id: ada.sub,
        login: null,
        name: "Ada Lovelace",
        avatar_url: ada.picture,
        email: "ada@example.com",
        hosted_domain: "example.com",
      }),
    ]);
    expect(await sessionRows()).toEqual([{ user_id: created!.id, method: "google" }]);
    expect(await events("sign_in")).toEqual([expect.objectContaining({ detail: "google", user_id: created!.id })]);
    expect(await events("google_linked")).toEqual([]);
    expect(await mailsTo("ada@example.com")).toEqual([]);
  });

  it("fetches Google's keys once and reuses them for the next sign-in", async () => {
    const google = interceptGoogle(ada);
    await signInWithGoogle(google);
    await signInWithGoogle(google);
    expect(google.tokenRequests()).toHaveLength(2);
    expect(google.jwksRequests()).toHaveLength(1);
  });

  it("finds a returning user by Google's sub after their email changed at Google", async () => {
    const google = interceptGoogle(ada);
    await signInWithGoogle(google);
    const original = await user("ada@example.com");
    vi.restoreAllMocks();

    const renamed = interceptGoogle({ ...ada, email: "ada.lovelace@example.org", name: "Ada King" });
    const { response } = await signInWithGoogle(renamed);

    expect(response.status).toBe(303);
    expect(await count("users")).toBe(1);
    expect(await user("ada.lovelace@example.org")).toBeNull();
    expect((await identities())[0]).toMatchObject({ user_id: original!.id, name: "Ada King", email: "ada.lovelace@example.org" });
    expect((await sessionRows()).every((s) => s.user_id === original!.id)).toBe(true);
    expect(await events("google_linked")).toEqual([]);
  });

  it("links to the existing account with the same verified email and tells that account, naming the Workspace domain", async () => {
    await signIn("ada@example.com");
    const existing = await user("ada@example.com");
    const google = interceptGoogle({ ...ada, hd: "example.com" });
    const { response } = await signInWithGoogle(google);

    expect(response.status).toBe(303);
    expect(await count("users")).toBe(1);
    expect((await identities())[0]).toMatchObject({ user_id: existing!.id, provider: "google", provider_user_id: ada.sub });
    expect((await sessionRows()).filter((s) => s.method === "google")).toEqual([{ user_id: existing!.id, method: "google" }]);
    expect(await events("google_linked")).toEqual([expect.objectContaining({ detail: "example.com", user_id: existing!.id })]);

    const notice = (await mailsTo("ada@example.com")).find((m) => m.subject.includes("Google"));
    expect(notice?.subject).toBe("Google account ada@example.com was linked to your Latchkey account");
    expect(notice?.text).toContain("Google Workspace account of example.com");
    expect(notice?.text).toContain("Google Workspace: example.com");
    expect(notice?.text).toContain("Device: Firefox");
    expect(notice?.text).toMatch(/If it wasn't you/);
  });

  it("signs the linked user in by Google the next time without a second notice", async () => {
    await signIn("ada@example.com");
    const google = interceptGoogle(ada);
    await signInWithGoogle(google);
    await signInWithGoogle(google);
    expect(await events("google_linked")).toHaveLength(1);
    expect((await mailsTo("ada@example.com")).filter((m) => m.subject.includes("Google"))).toHaveLength(1);
  });

  it("refuses a Google account whose email isn't verified, and never links it to the account with that address", async () => {
    await signIn("ada@example.com");
    const google = interceptGoogle({ ...ada, email_verified: false });
    const { response } = await signInWithGoogle(google);

    expect(response.status).toBe(403);
    const html = await textOf(response);
    expect(html).toContain("Your Google account's email isn't verified");
    expect(setCookieNamed(response, "__Host-latchkey_session")).toBeUndefined();
    expect(await count("identities")).toBe(0);
    expect(await count("users")).toBe(1);
    expect(await events("google_refused")).toEqual([expect.objectContaining({ detail: "no-verified-email" })]);
  });

  it.each<[string, (keys: Awaited<ReturnType<typeof testKeys>>) => TokenOptions, string]>([
    ["forged (signed with another key under Google's kid)", (keys) => ({ key: keys.stranger }), "bad signature"],
    ["expired", () => ({ issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresAt: Math.floor(Date.now() / 1000) - 3600 }), "expired"],
    ["for another audience", () => ({ audience: "someone-else.apps.googleusercontent.com" }), "claim aud"],
    ["from another issuer", () => ({ issuer: "https://accounts.evil.example" }), "claim iss"],
    ["with another nonce", () => ({ nonce: "a-nonce-from-some-other-sign-in-000000000000" }), "claim nonce"],
    ["without a nonce", () => ({ nonce: null }), "claim nonce"],
    ["signed with a key Google never published", (keys) => ({ key: keys.next }), "unknown key"],
    ["minted for another client (azp)", () => ({ extra: { azp: "someone-else.apps.googleusercontent.com" } }), "claim azp"],
  ])("refuses an ID token %s with the 400 page and no session", async (_, forge, why) => {
    const google = interceptGoogle(ada);
    google.state.tokenOptions = forge(await testKeys());
    const { response } = await signInWithGoogle(google);

    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("We couldn't verify this Google sign-in");
    expect(setCookieNamed(response, "__Host-latchkey_session")).toBeUndefined();
    expect(await count("sessions")).toBe(0);
    expect(await count("users")).toBe(0);
    const [refused] = await events("google_refused");
    expect(refused?.detail).toContain(why);
  });

  it("doesn't ask Google for its keys again right after fetching them, whatever key a token names", async () => {
    const google = interceptGoogle(ada);
    const keys = await testKeys();
    google.state.tokenOptions = { key: keys.next };
    google.state.keys = [keys.current.jwk];
    await signInWithGoogle(google);
    // The first sign-in fetched the key set just now: a new kid right after it doesn't refetch (no amplification).
    expect(google.jwksRequests()).toHaveLength(1);
    expect(await count("sessions")).toBe(0);
  });

  it("answers a state that doesn't match the cookie with 400 and asks Google nothing", async () => {
    const google = interceptGoogle(ada);
    const { cookie } = await startGoogleSignIn();
    const response = await googleCallback({ code: "c", state: "forged-state-forged-state-forged-state-0000" }, { cookie });

    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("This Google sign-in is invalid or expired");
    expect(google.requests).toHaveLength(0);
    expect(await count("sessions")).toBe(0);
    expect(await events("google_refused")).toEqual([expect.objectContaining({ detail: "invalid-state" })]);
  });

  it.each([
    ["without the state cookie (another browser)", { code: "c", state: "s" }, false],
    ["without a state", { code: "c" }, true],
    ["without a code", { state: "s" }, true],
  ])("answers a callback %s with 400", async (_, params, withCookie) => {
    const google = interceptGoogle(ada);
    const { cookie } = await startGoogleSignIn();
    const response = await googleCallback(params as Record<string, string>, { cookie: withCookie ? cookie : undefined });
    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("Start again");
    expect(google.requests).toHaveLength(0);
  });

  it("answers a code Google refuses (used or expired) with the 400 page", async () => {
    const google = interceptGoogle(ada, { token: () => json({ error: "invalid_grant", error_description: "Bad Request" }, 400) });
    const { response } = await signInWithGoogle(google);
    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("invalid or expired");
    expect(await count("sessions")).toBe(0);
  });

  it("sends a cancelled sign-in back to /login, which says so", async () => {
    const google = interceptGoogle(ada);
    const { state, cookie } = await startGoogleSignIn();
    const response = await googleCallback({ error: "access_denied", state }, { cookie });

    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?google=cancelled");
    expect(google.requests).toHaveLength(0);
    const login = await getWithGoogle("/login?google=cancelled");
    expect(await textOf(login)).toMatch(/role="alert"[^>]*>Google sign-in was cancelled/);
    expect(await events("google_refused")).toEqual([expect.objectContaining({ detail: "cancelled" })]);
  });

  it("answers another provider error with a 400 page, not a stack trace", async () => {
    const response = await googleCallback({ error: "admin_policy_enforced", state: "s" });
    expect(response.status).toBe(400);
    const html = await textOf(response);
    expect(html).toContain("Google couldn't complete the sign-in");
    expect(html).not.toMatch(/at \S+ \(|Error:/);
  });

  it.each([
    ["the token endpoint answers 500", { token: () => new Response("oops", { status: 500 }) }],
    ["the token endpoint can't be reached", { token: unreachable }],
    ["the token endpoint answers without an ID token", { token: () => json({ access_token: "ya29.x", token_type: "Bearer" }) }],
    ["the key endpoint can't be reached", { jwks: unreachable }],
    ["the key endpoint answers 503", { jwks: () => json({ error: "backend" }, 503) }],
    ["the key endpoint answers something unreadable", { jwks: () => new Response("<html>unicorn</html>", { status: 200 }) }],
  ])("answers 502 when %s", async (_, replies) => {
    const google = interceptGoogle(ada, replies);
    const { response } = await signInWithGoogle(google);
    expect(response.status).toBe(502);
    const html = await textOf(response);
    expect(html).toContain("Google isn't responding");
    expect(html).not.toContain("unicorn");
    expect(await count("sessions")).toBe(0);
    expect(await count("users")).toBe(0);
  });

  it.each([
    ["token endpoint", { token: hang }, (google: ReturnType<typeof interceptGoogle>) => google.tokenRequests().length === 1],
    ["key endpoint", { jwks: hang }, (google: ReturnType<typeof interceptGoogle>) => google.jwksRequests().length === 1],
  ])("gives Google's %s 5 seconds, then answers 502", async (_, replies, called) => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const google = interceptGoogle(ada, replies);
    const { state, nonce, cookie } = await startGoogleSignIn();
    google.state.nonce = nonce;
    let answered = false;
    const pending = googleCallback({ code: "c", state }, { cookie }).finally(() => (answered = true));
    await until(() => called(google));

    await vi.advanceTimersByTimeAsync(4_900);
    await scheduler.wait(200);
    expect(await events("google_refused")).toEqual([]);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    const response = await pending;
    expect(response.status).toBe(502);
    expect(await events("google_refused")).toEqual([expect.objectContaining({ detail: "unavailable: timeout" })]);
    expect(await textOf(response)).toContain("Google isn't responding");
    expect(await count("sessions")).toBe(0);
  });

  it("reports a misconfigured OAuth client (wrong client secret) as a 502 and logs it", async () => {
    expectConsoleErrors();
    const google = interceptGoogle(ada, { token: () => json({ error: "invalid_client", error_description: "Unauthorized" }, 401) });
    const { response } = await signInWithGoogle(google);
    expect(response.status).toBe(502);
    expect(await textOf(response)).toContain("Google refused this sign-in");
    expect(await events("google_refused")).toEqual([expect.objectContaining({ detail: "rejected: invalid_client" })]);
  });

  it("never redirects off-site after sign-in", async () => {
    const google = interceptGoogle(ada);
    const { response } = await signInWithGoogle(google, { redirectTo: "//evil.example/steal" });
    expect(response.headers.get("Location")).toBe("/dashboard");
  });

  it("replaces the browser's previous session (no fixation)", async () => {
    const oldCookie = await signIn("someone@example.com");
    const google = interceptGoogle(ada);
    const { response } = await signInWithGoogle(google, { sessionCookie: oldCookie });
    expect(response.status).toBe(303);
    expect(await sessionRows()).toEqual([{ user_id: (await user("ada@example.com"))!.id, method: "google" }]);
  });

  it("with sign-up off, refuses a Google account with no matching user but links an existing one", async () => {
    const closed = { ...GOOGLE_ENV, ALLOW_SIGNUP: "false" };
    const google = interceptGoogle(ada);
    const refused = await signInWithGoogle(google, { env: closed });
    expect(refused.response.status).toBe(403);
    expect(await textOf(refused.response)).toContain("No account for this Google account");
    expect(await count("users")).toBe(0);

    await signIn("ada@example.com");
    const linked = await signInWithGoogle(google, { env: closed });
    expect(linked.response.status).toBe(303);
    expect(await count("identities")).toBe(1);
  });

  it("applies the per-IP verification limit to callbacks", async () => {
    const google = interceptGoogle(ada);
    const limited = { ...GOOGLE_ENV, LIMIT_IP_VERIFY: "1/600" };
    await googleCallback({ code: "c", state: "s" }, { env: limited });
    const response = await googleCallback({ code: "c", state: "s" }, { env: limited });
    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(google.requests).toHaveLength(0);
  });

  it("creates one user and one identity when callbacks for a new Google account race", async () => {
    const google = interceptGoogle(ada);
    const starts = await Promise.all([1, 2, 3, 4, 5].map(() => startGoogleSignIn()));
    // Each callback's ID token carries its own sign-in's nonce.
    starts.forEach((s, i) => google.state.noncesByCode.set(`4/code-${i}`, s.nonce));
    const responses = await Promise.all(starts.map((s, i) => googleCallback({ code: `4/code-${i}`, state: s.state }, { cookie: s.cookie })));
    expect(responses.map((r) => r.status)).toEqual([303, 303, 303, 303, 303]);
    expect(await count("users")).toBe(1);
    expect(await count("identities")).toBe(1);
    expect(new Set((await sessionRows()).map((s) => s.user_id)).size).toBe(1);
  });
});

describe("the login page with Google", () => {
  it("offers Continue with Google and GitHub, one style, keeping redirectTo", async () => {
    const response = await getWithGoogle("/login?redirectTo=%2Fdashboard%3Ftab%3D1", { env: { ...GOOGLE_ENV, GITHUB_CLIENT_ID: "Iv1.x", GITHUB_CLIENT_SECRET: "s" } });
    const html = await textOf(response);
    expect(html).toContain('href="/auth/google?redirectTo=%2Fdashboard%3Ftab%3D1"');
    expect(html).toContain('href="/auth/github?redirectTo=%2Fdashboard%3Ftab%3D1"');
    expect(html.match(/class="button secondary full provider-button"/g)).toHaveLength(2);
    expect(html).toContain("Continue with Google");
  });

  it("loads Google's One Tap script with the CSP nonce and allows only Google's One Tap origins, on that page only", async () => {
    const response = await getWithGoogle("/login");
    const csp = response.headers.get("Content-Security-Policy")!;
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' https:\/\/accounts\.google\.com\/gsi\/client;/);
    expect(csp).toContain("frame-src 'self' https://accounts.google.com/gsi/;");
    expect(csp).toContain("connect-src 'self' https://accounts.google.com/gsi/;");
    expect(csp).toContain("style-src 'self' https://accounts.google.com/gsi/style;");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(html).toContain(`<script src="https://accounts.google.com/gsi/client" async="" nonce="${nonce}">`);
    expect(html).toContain('action="/auth/google/one-tap"');

    // Safari finishes One Tap in a popup that reports back to this page.
    expect(response.headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin-allow-popups");

    const other = await getWithGoogle("/auth/code");
    const elsewhere = other.headers.get("Content-Security-Policy")!;
    expect(elsewhere).not.toContain("accounts.google.com");
    expect(elsewhere).not.toContain("frame-src");
    expect(other.headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin");
  });

  it("shows One Tap on the landing page to signed-out visitors only", async () => {
    const signedOut = await getWithGoogle("/");
    expect(signedOut.headers.get("Content-Security-Policy")).toContain("https://accounts.google.com/gsi/client");
    expect(await signedOut.text()).toContain('src="https://accounts.google.com/gsi/client"');

    const cookie = await signIn("someone@example.com");
    const signedIn = await getWithGoogle("/", { cookie });
    expect(signedIn.headers.get("Content-Security-Policy")).not.toContain("accounts.google.com");
    expect(signedIn.headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin");
    expect(await signedIn.text()).not.toContain("gsi/client");
  });

  it("shows no Google button, no One Tap and no Google origins in a deployment without Google credentials", async () => {
    const response = await get("/login");
    const html = await response.text();
    expect(html).not.toContain("Continue with Google");
    expect(html).not.toContain("gsi/client");
    expect(response.headers.get("Content-Security-Policy")).not.toContain("google");
    expect(setCookieNamed(response, "__Host-latchkey_google_nonce")).toBeUndefined();
  });

  it("binds the One Tap nonce to the browser with a short-lived signed cookie, reused while fresh", async () => {
    const first = await getWithGoogle("/login");
    const cookie = setCookieNamed(first, "__Host-latchkey_google_nonce")!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Max-Age=600/);
    const again = await getWithGoogle("/login", { cookie: cookiesFrom(first) });
    expect(setCookieNamed(again, "__Host-latchkey_google_nonce")).toBeUndefined();
  });
});
