import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { count, get, mailsTo, signIn } from "../helpers/app";
import { cookiesFrom, getWithGitHub, gitHubCallback, s256, setCookieNamed, signInWithGitHub, startGitHubSignIn } from "../helpers/github";
import { ACCESS_TOKEN, GITHUB_ENV, hang, interceptGitHub, json, unreachable, type FakeGitHubUser } from "../mocks/github";
import { expectConsoleErrors } from "../setup";

const octo: FakeGitHubUser = {
  id: 4242,
  login: "octo",
  name: "Octo Cat",
  emails: [
    { email: "Octo@Example.com", primary: true, verified: true },
    { email: "octo-old@example.com", primary: false, verified: true },
  ],
};

const user = (email: string) => env.DB.prepare("SELECT * FROM users WHERE email = ?").bind(email).first<{ id: string; email: string }>();
const identities = () =>
  env.DB.prepare("SELECT * FROM identities").all<{
    user_id: string;
    provider: string;
    provider_user_id: string;
    login: string;
    name: string | null;
    avatar_url: string | null;
    email: string;
  }>().then((r) => r.results);
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

afterEach(() => {
  vi.useRealTimers();
});

describe("GET /auth/github", () => {
  it("redirects to GitHub's authorize URL with state, PKCE S256, both scopes and the exact callback URL", async () => {
    const { response, authorizeUrl, state } = await startGitHubSignIn();
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe("https://github.com/login/oauth/authorize");
    const params = authorizeUrl.searchParams;
    expect(params.get("response_type")).toBe("code");
    expect(params.get("client_id")).toBe(GITHUB_ENV.GITHUB_CLIENT_ID);
    expect(params.get("redirect_uri")).toBe("https://latchkey.test/auth/github/callback");
    expect(params.get("scope")).toBe("read:user user:email");
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const stateCookie = setCookieNamed(response, "__Host-latchkey_github")!;
    expect(stateCookie).toContain(`state=${state}`);
    expect(stateCookie).toMatch(/; Secure/);
    expect(stateCookie).toMatch(/; HttpOnly/);
    expect(stateCookie).toMatch(/; SameSite=Lax/);
    expect(stateCookie).toMatch(/; Path=\//);
    expect(stateCookie).toMatch(/; Max-Age=600/);
    expect(stateCookie).not.toMatch(/Domain=/i);
    const redirectCookie = setCookieNamed(response, "__Host-latchkey_github_to")!;
    expect(redirectCookie).toMatch(/HttpOnly.*Secure|Secure.*HttpOnly/);
  });

  it("uses a fresh state and challenge every time", async () => {
    const first = await startGitHubSignIn();
    const second = await startGitHubSignIn();
    expect(second.state).not.toBe(first.state);
    expect(second.authorizeUrl.searchParams.get("code_challenge")).not.toBe(first.authorizeUrl.searchParams.get("code_challenge"));
  });

  it("ignores a state smuggled into the start URL and still redirects to GitHub", async () => {
    const response = await getWithGitHub("/auth/github?state=attacker&code=x");
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get("Location")!).searchParams.get("state")).not.toBe("attacker");
  });

  it("is a 404 when GitHub sign-in is not configured", async () => {
    const response = await get("/auth/github");
    expect(response.status).toBe(404);
  });
});

describe("the login page", () => {
  it("offers Continue with GitHub, keeping redirectTo, when GitHub is configured", async () => {
    const response = await getWithGitHub("/login?redirectTo=%2Fdashboard%3Ftab%3D1");
    const html = await textOf(response);
    expect(html).toContain("Continue with GitHub");
    expect(html).toContain('href="/auth/github?redirectTo=%2Fdashboard%3Ftab%3D1"');
    expect(html).toContain('class="divider"');
  });

  it("hides the button in a deployment without GitHub credentials", async () => {
    const html = await (await get("/login")).text();
    expect(html).toContain("Email me a sign-in link");
    expect(html).not.toContain("Continue with GitHub");
  });
});

describe("GET /auth/github/callback", () => {
  it("creates a new user, identity and session, sending the exact token request GitHub expects", async () => {
    const github = interceptGitHub(octo);
    const { start, response } = await signInWithGitHub({ redirectTo: "/dashboard?from=github" });

    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/dashboard?from=github");
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(setCookieNamed(response, "__Host-latchkey_session")).toMatch(/HttpOnly/);
    // The flow's cookies are single use.
    expect(setCookieNamed(response, "__Host-latchkey_github")).toMatch(/Max-Age=0/);
    expect(setCookieNamed(response, "__Host-latchkey_github_to")).toMatch(/Max-Age=0/);

    const [token] = github.tokenRequests();
    expect(github.tokenRequests()).toHaveLength(1);
    expect(token!.method).toBe("POST");
    expect(token!.headers.get("Authorization")).toBe(`Basic ${btoa(`${GITHUB_ENV.GITHUB_CLIENT_ID}:${GITHUB_ENV.GITHUB_CLIENT_SECRET}`)}`);
    expect(token!.headers.get("Accept")).toBe("application/json");
    expect(token!.body!.get("grant_type")).toBe("authorization_code");
    expect(token!.body!.get("code")).toBe("github-code-1");
    expect(token!.body!.get("redirect_uri")).toBe("https://latchkey.test/auth/github/callback");
    const verifier = token!.body!.get("code_verifier")!;
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(await s256(verifier)).toBe(start.authorizeUrl.searchParams.get("code_challenge"));
    expect(token!.body!.has("client_secret")).toBe(false);

    const api = github.apiRequests();
    expect(api.map((r) => r.url).sort()).toEqual(["https://api.github.com/user", "https://api.github.com/user/emails"]);
    for (const request of api) {
      expect(request.headers.get("Authorization")).toBe(`Bearer ${ACCESS_TOKEN}`);
      expect(request.headers.get("User-Agent")).toBeTruthy();
      expect(request.headers.get("Accept")).toBe("application/vnd.github+json");
    }

    const created = await user("octo@example.com");
    expect(created?.id).toMatch(/^usr_/);
    expect(await identities()).toEqual([
      expect.objectContaining({
        user_id: created!.id,
        provider: "github",
        provider_user_id: "4242",
        login: "octo",
        name: "Octo Cat",
        avatar_url: "https://avatars.githubusercontent.com/u/4242?v=4",
        email: "octo@example.com",
      }),
    ]);
    expect(await sessionRows()).toEqual([{ user_id: created!.id, method: "github" }]);
    expect(await events("sign_in")).toEqual([expect.objectContaining({ detail: "github", user_id: created!.id })]);
    expect(await events("github_linked")).toEqual([]);
    expect(await mailsTo("octo@example.com")).toEqual([]);
  });

  it("shows the GitHub login and avatar on the dashboard", async () => {
    interceptGitHub(octo);
    const { response } = await signInWithGitHub();
    const dashboard = await getWithGitHub("/dashboard", { cookie: cookiesFrom(response) });
    expect(dashboard.status).toBe(200);
    const html = await textOf(dashboard);
    expect(html).toMatch(/data-testid="github-login">@(<!-- -->)?octo</);
    expect(html).toContain('src="https://avatars.githubusercontent.com/u/4242?v=4"');
    expect(html).toContain('alt="GitHub avatar of @octo"');
    expect(dashboard.headers.get("Content-Security-Policy")).toContain("img-src 'self' data: https://avatars.githubusercontent.com");
  });

  it("finds a returning user by GitHub id after they changed their email on GitHub", async () => {
    interceptGitHub(octo);
    await signInWithGitHub();
    const original = await user("octo@example.com");
    vi.restoreAllMocks();

    interceptGitHub({ ...octo, login: "octo-renamed", emails: [{ email: "new-octo@example.com", primary: true, verified: true }] });
    const { response } = await signInWithGitHub();

    expect(response.status).toBe(303);
    expect(await count("users")).toBe(1);
    expect(await user("new-octo@example.com")).toBeNull();
    const [identity] = await identities();
    expect(identity).toMatchObject({ user_id: original!.id, login: "octo-renamed", email: "new-octo@example.com" });
    expect((await sessionRows()).every((s) => s.user_id === original!.id)).toBe(true);
    expect(await events("github_linked")).toEqual([]);
  });

  it("links to the existing account with the same verified email and tells that account by email", async () => {
    await signIn("octo@example.com");
    const existing = await user("octo@example.com");
    interceptGitHub(octo);
    const { response } = await signInWithGitHub();

    expect(response.status).toBe(303);
    expect(await count("users")).toBe(1);
    expect((await identities())[0]).toMatchObject({ user_id: existing!.id, provider_user_id: "4242" });
    expect((await sessionRows()).filter((s) => s.method === "github")).toEqual([{ user_id: existing!.id, method: "github" }]);
    expect(await events("github_linked")).toEqual([expect.objectContaining({ detail: "octo", user_id: existing!.id })]);

    const notice = (await mailsTo("octo@example.com")).find((m) => m.subject.includes("GitHub"));
    expect(notice?.subject).toBe("GitHub account @octo was linked to your Latchkey account");
    expect(notice?.text).toContain("When:");
    expect(notice?.text).toContain("Device: Firefox");
    expect(notice?.text).toMatch(/If it wasn't you/);
    expect(notice?.html).toContain("@octo");
  });

  it("signs the linked user in by GitHub the next time without a second notice", async () => {
    await signIn("octo@example.com");
    interceptGitHub(octo);
    await signInWithGitHub();
    await signInWithGitHub();
    expect(await events("github_linked")).toHaveLength(1);
    expect((await mailsTo("octo@example.com")).filter((m) => m.subject.includes("GitHub"))).toHaveLength(1);
  });

  it("refuses a GitHub account whose emails are all unverified, explaining what to do", async () => {
    interceptGitHub({ ...octo, emails: [{ email: "octo@example.com", primary: true, verified: false }] });
    const { response } = await signInWithGitHub();

    expect(response.status).toBe(403);
    const html = await textOf(response);
    expect(html).toContain("Your GitHub account has no verified email");
    expect(html).toContain('href="https://github.com/settings/emails"');
    expect(setCookieNamed(response, "__Host-latchkey_session")).toBeUndefined();
    expect(await count("users")).toBe(0);
    expect(await count("identities")).toBe(0);
    expect(await count("sessions")).toBe(0);
    expect(await events("github_refused")).toEqual([expect.objectContaining({ detail: "no-verified-email" })]);
  });

  it("never picks an account by a verified secondary email when the primary one is unverified", async () => {
    await signIn("octo-old@example.com");
    interceptGitHub({
      ...octo,
      emails: [
        { email: "octo@example.com", primary: true, verified: false },
        { email: "octo-old@example.com", primary: false, verified: true },
      ],
    });
    const { response } = await signInWithGitHub();
    expect(response.status).toBe(403);
    expect(await count("identities")).toBe(0);
  });

  it("answers a state that doesn't match the cookie with 400 and starts no session", async () => {
    const github = interceptGitHub(octo);
    const { cookie } = await startGitHubSignIn();
    const response = await gitHubCallback({ code: "c", state: "forged-state-forged-state-forged-state-0000" }, { cookie });

    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("This GitHub sign-in link is invalid or expired");
    expect(setCookieNamed(response, "__Host-latchkey_session")).toBeUndefined();
    expect(github.requests).toHaveLength(0);
    expect(await count("sessions")).toBe(0);
    expect(await events("github_refused")).toEqual([expect.objectContaining({ detail: "invalid-state" })]);
  });

  it.each([
    ["without the state cookie (another browser)", { code: "c", state: "s" }, false],
    ["without a state", { code: "c" }, true],
    ["without a code", { state: "s" }, true],
  ])("answers a callback %s with 400", async (_, params, withCookie) => {
    const github = interceptGitHub(octo);
    const { cookie } = await startGitHubSignIn();
    const response = await gitHubCallback(params as Record<string, string>, { cookie: withCookie ? cookie : undefined });
    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("Start again");
    expect(github.requests).toHaveLength(0);
    expect(await count("sessions")).toBe(0);
  });

  it("answers a code GitHub refuses (used or expired) with the 400 page", async () => {
    interceptGitHub(octo, { token: () => json({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." }) });
    const { response } = await signInWithGitHub();
    expect(response.status).toBe(400);
    expect(await textOf(response)).toContain("invalid or expired");
    expect(await count("sessions")).toBe(0);
  });

  it("sends a cancelled sign-in back to /login, which says so", async () => {
    const github = interceptGitHub(octo);
    const { state, cookie } = await startGitHubSignIn();
    const response = await gitHubCallback({ error: "access_denied", error_description: "The user has denied your application access.", state }, { cookie });

    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?github=cancelled");
    expect(github.requests).toHaveLength(0);
    const login = await getWithGitHub("/login?github=cancelled");
    expect(await textOf(login)).toMatch(/role="alert"[^>]*>GitHub sign-in was cancelled/);
    expect(await events("github_refused")).toEqual([expect.objectContaining({ detail: "cancelled" })]);
  });

  it("answers another provider error with a 400 page, not a stack trace", async () => {
    const response = await gitHubCallback({ error: "application_suspended", state: "s" });
    expect(response.status).toBe(400);
    const html = await textOf(response);
    expect(html).toContain("GitHub couldn't complete the sign-in");
    expect(html).not.toMatch(/at \S+ \(|Error:/);
  });

  it.each([
    ["the token endpoint answers 500", { token: () => new Response("oops", { status: 500 }) }],
    ["the token endpoint can't be reached", { token: unreachable }],
    ["the API can't be reached", { api: unreachable }],
    ["the API answers 500", { api: () => json({ message: "Server Error" }, 500) }],
    ["the API answers something unreadable", { api: () => new Response("<html>unicorn</html>", { status: 200 }) }],
  ])("answers 502 when %s", async (_, replies) => {
    interceptGitHub(octo, replies);
    const { response } = await signInWithGitHub();
    expect(response.status).toBe(502);
    const html = await textOf(response);
    expect(html).toContain("GitHub isn't responding");
    expect(html).not.toContain("unicorn");
    expect(await count("sessions")).toBe(0);
    expect(await count("users")).toBe(0);
  });

  it.each([
    ["token endpoint", { token: hang }, (github: ReturnType<typeof interceptGitHub>) => github.tokenRequests().length === 1],
    ["API", { api: hang }, (github: ReturnType<typeof interceptGitHub>) => github.apiRequests().length === 2],
  ])("gives GitHub's %s 5 seconds, then answers 502", async (_, replies, called) => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const github = interceptGitHub(octo, replies);
    const { state, cookie } = await startGitHubSignIn();
    let answered = false;
    const pending = gitHubCallback({ code: "c", state }, { cookie }).finally(() => (answered = true));
    await until(() => called(github));

    // (Rendering the page also waits on timers, so the refusal in the log is what shows the deadline
    // passed; it is written as soon as the sign-in gives up.)
    await vi.advanceTimersByTimeAsync(4_900);
    await scheduler.wait(200);
    expect(await events("github_refused")).toEqual([]);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    const response = await pending;
    expect(response.status).toBe(502);
    expect(await events("github_refused")).toEqual([expect.objectContaining({ detail: "unavailable: timeout" })]);
    expect(await textOf(response)).toContain("GitHub isn't responding");
    expect(await count("sessions")).toBe(0);
  });

  it("reports a misconfigured OAuth app (wrong client secret) as a 502 and logs it", async () => {
    expectConsoleErrors();
    interceptGitHub(octo, { token: () => json({ error: "incorrect_client_credentials" }) });
    const { response } = await signInWithGitHub();
    expect(response.status).toBe(502);
    expect(await textOf(response)).toContain("GitHub refused this sign-in");
    expect(await events("github_refused")).toEqual([expect.objectContaining({ detail: "rejected: incorrect_client_credentials" })]);
  });

  it("never redirects off-site after sign-in", async () => {
    interceptGitHub(octo);
    const { response } = await signInWithGitHub({ redirectTo: "//evil.example/steal" });
    expect(response.headers.get("Location")).toBe("/dashboard");
  });

  it("replaces the browser's previous session (no fixation)", async () => {
    const oldCookie = await signIn("someone@example.com");
    interceptGitHub(octo);
    const { response } = await signInWithGitHub({ sessionCookie: oldCookie });
    expect(response.status).toBe(303);
    expect(await sessionRows()).toEqual([{ user_id: (await user("octo@example.com"))!.id, method: "github" }]);
  });

  it("with sign-up off, refuses a GitHub account with no matching user but links an existing one", async () => {
    interceptGitHub(octo);
    const start = await startGitHubSignIn(undefined, { ...GITHUB_ENV, ALLOW_SIGNUP: "false" });
    const refused = await gitHubCallback({ code: "c", state: start.state }, { cookie: start.cookie, env: { ...GITHUB_ENV, ALLOW_SIGNUP: "false" } });
    expect(refused.status).toBe(403);
    expect(await textOf(refused)).toContain("No account for this GitHub account");
    expect(await count("users")).toBe(0);

    await signIn("octo@example.com");
    const again = await startGitHubSignIn(undefined, { ...GITHUB_ENV, ALLOW_SIGNUP: "false" });
    const linked = await gitHubCallback({ code: "c", state: again.state }, { cookie: again.cookie, env: { ...GITHUB_ENV, ALLOW_SIGNUP: "false" } });
    expect(linked.status).toBe(303);
    expect(await count("identities")).toBe(1);
  });

  it("applies the per-IP verification limit to callbacks", async () => {
    const github = interceptGitHub(octo);
    const limited = { ...GITHUB_ENV, LIMIT_IP_VERIFY: "1/600" };
    await gitHubCallback({ code: "c", state: "s" }, { env: limited });
    const response = await gitHubCallback({ code: "c", state: "s" }, { env: limited });
    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(github.requests).toHaveLength(0);
    expect(await events("rate_limited")).toEqual([expect.objectContaining({ detail: "ip-verify" })]);
  });

  it("links one GitHub account exactly once when its callbacks race", async () => {
    interceptGitHub(octo);
    const starts = await Promise.all([1, 2, 3, 4, 5].map(() => startGitHubSignIn()));
    const responses = await Promise.all(starts.map((s) => gitHubCallback({ code: "c", state: s.state }, { cookie: s.cookie })));
    expect(responses.map((r) => r.status)).toEqual([303, 303, 303, 303, 303]);
    expect(await count("users")).toBe(1);
    expect(await count("identities")).toBe(1);
    expect(new Set((await sessionRows()).map((s) => s.user_id)).size).toBe(1);
  });
});
