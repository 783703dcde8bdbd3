import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ORIGIN, count, lastMailTo, mailsTo } from "../helpers/app";
import { awayFromStepBoundary, Browser, CHROME_WINDOWS, SAFARI_IPHONE, totp } from "../helpers/browser";
import { AAGUID_ICLOUD, SoftwareAuthenticator, fromBase64url } from "../helpers/webauthn-authenticator";

const EMAIL = "ada@example.com";

type Json = Record<string, any>;

async function signedIn(email = EMAIL, browser = new Browser()) {
  const response = await browser.signInWithEmail(email);
  expect(response.status).toBe(303);
  return browser;
}

async function registrationOptions(browser: Browser): Promise<Json> {
  const response = await browser.postJson("/account/passkeys/options");
  expect(response.status).toBe(200);
  return response.json();
}

/** Adds a passkey from `authenticator` to the account `browser` is signed in to. */
async function addPasskey(browser: Browser, authenticator = new SoftwareAuthenticator(ORIGIN, { aaguid: AAGUID_ICLOUD }), name?: string) {
  const response = await authenticator.create((await registrationOptions(browser)) as never);
  const added = await browser.postJson("/account/passkeys", name === undefined ? { response } : { response, name });
  expect(added.status).toBe(201);
  return { authenticator, passkey: (await added.json()) as { id: string; name: string } };
}

async function signInOptions(browser: Browser): Promise<Json> {
  const response = await browser.postJson("/auth/passkey/options");
  expect(response.status).toBe(200);
  return response.json();
}

/** The whole passkey sign-in from `browser`: options, the authenticator's assertion, the POST. */
async function passkeySignIn(browser: Browser, authenticator: SoftwareAuthenticator, overrides = {}, extra: Json = {}) {
  const response = await authenticator.get((await signInOptions(browser)) as never, overrides);
  return browser.postJson("/auth/passkey", { response, ...extra });
}

const rows = (sql: string, ...params: unknown[]) => env.DB.prepare(sql).bind(...params).all<Json>().then((r) => r.results);
const events = (type: string) => rows("SELECT detail, user_id FROM auth_events WHERE type = ? ORDER BY id", type);
const userId = async (email = EMAIL) => (await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first<{ id: string }>())!.id;

/** As if the last sign-in happened `minutes` ago. */
async function ageSessions(minutes: number) {
  const ms = minutes * 60_000;
  await env.DB.prepare("UPDATE sessions SET created_at = created_at - ?1, authenticated_at = authenticated_at - ?1").bind(ms).run();
}

async function expectRefused(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as Json;
  expect(body.error).toBe(error);
  expect(body.message).toMatch(/\.$/);
}

describe("adding a passkey", () => {
  it("offers creation options for a discoverable, user-verified passkey bound to APP_URL's host, excluding ones already added", async () => {
    const browser = await signedIn();
    const options = await registrationOptions(browser);
    expect(options.rp).toEqual({ id: "latchkey.test", name: "Latchkey" });
    expect(fromBase64url(options.challenge).length).toBeGreaterThanOrEqual(16);
    expect(options.user.name).toBe(EMAIL);
    // The user handle is the opaque user id, never the email.
    expect(new TextDecoder().decode(fromBase64url(options.user.id))).toBe(await userId());
    expect(options.authenticatorSelection).toEqual({ residentKey: "required", requireResidentKey: true, userVerification: "required" });
    expect(options.attestation).toBe("none");
    expect(options.pubKeyCredParams).toContainEqual({ type: "public-key", alg: -7 });
    expect(options.timeout).toBe(300_000);
    expect(options.excludeCredentials).toEqual([]);

    const { authenticator } = await addPasskey(browser);
    const again = await registrationOptions(browser);
    expect(again.challenge).not.toBe(options.challenge);
    expect(again.excludeCredentials).toEqual([{ type: "public-key", id: authenticator.credentialIds[0], transports: ["internal", "hybrid"] }]);
  });

  it("stores the credential, key, counter, transports, backup flags, AAGUID and a name from the AAGUID, and emails the account", async () => {
    const browser = await signedIn();
    const { authenticator, passkey } = await addPasskey(browser);
    expect(passkey).toEqual({ id: expect.stringMatching(/^pk_/), name: "iCloud Keychain" });
    const [row] = await rows("SELECT * FROM passkeys");
    expect(row).toMatchObject({
      id: passkey.id,
      user_id: await userId(),
      algorithm: -7,
      sign_count: 0,
      transports: '["internal","hybrid"]',
      backup_eligible: 1,
      backed_up: 1,
      aaguid: AAGUID_ICLOUD,
      name: "iCloud Keychain",
      last_used_at: null,
    });
    expect(row!.credential_id).toBe(authenticator.credentialIds[0]);
    expect(JSON.parse(row!.public_key)).toMatchObject({ kty: "EC", crv: "P-256" });
    const mail = await lastMailTo(EMAIL);
    expect(mail.subject).toBe("A passkey was added to your Latchkey account");
    expect(mail.text).toContain("iCloud Keychain");
    expect(await events("passkey_added")).toEqual([{ detail: "iCloud Keychain", user_id: await userId() }]);
  });

  it("names a passkey from an unknown provider after the browser and OS, unless the person typed a name", async () => {
    const browser = await signedIn(EMAIL, new Browser(CHROME_WINDOWS));
    expect((await addPasskey(browser, new SoftwareAuthenticator(ORIGIN))).passkey.name).toBe("Chrome on Windows");
    expect((await addPasskey(browser, new SoftwareAuthenticator(ORIGIN), "  Work\tlaptop  ")).passkey.name).toBe("Work laptop");
  });

  it("needs a sign-in from the last 10 minutes, and says where to confirm it's you", async () => {
    const browser = await signedIn();
    const options = await registrationOptions(browser);
    await ageSessions(11);
    const refused = await browser.postJson("/account/passkeys/options");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "step-up-required", stepUpUrl: "/account/confirm?next=%2Faccount%23passkeys" });
    const response = await new SoftwareAuthenticator(ORIGIN).create(options as never);
    expect((await browser.postJson("/account/passkeys", { response })).status).toBe(403);
    expect(await count("passkeys")).toBe(0);
  });

  it("needs a session at all", async () => {
    await expectRefused(await new Browser().postJson("/account/passkeys/options"), 401, "signed-out");
  });

  it("refuses a response made for another origin or another rpId (WAN-1)", async () => {
    const browser = await signedIn();
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    for (const overrides of [{ origin: "https://latchkey.test.evil.example" }, { origin: "http://latchkey.test" }, { rpId: "evil.example" }]) {
      const response = await authenticator.create((await registrationOptions(browser)) as never, overrides);
      await expectRefused(await browser.postJson("/account/passkeys", { response }), 400, "wrong-site");
    }
    expect(await count("passkeys")).toBe(0);
  });

  it("refuses a passkey that didn't verify the user (WAN-3)", async () => {
    const browser = await signedIn();
    const response = await new SoftwareAuthenticator(ORIGIN).create((await registrationOptions(browser)) as never, { userVerified: false });
    await expectRefused(await browser.postJson("/account/passkeys", { response }), 400, "no-user-verification");
  });

  it("refuses a replayed registration response (WAN-2)", async () => {
    const browser = await signedIn();
    const response = await new SoftwareAuthenticator(ORIGIN).create((await registrationOptions(browser)) as never);
    expect((await browser.postJson("/account/passkeys", { response })).status).toBe(201);
    await expectRefused(await browser.postJson("/account/passkeys", { response }), 400, "expired-challenge");
    expect(await count("passkeys")).toBe(1);
  });

  it("refuses a challenge issued to another account, or issued for signing in", async () => {
    const ada = await signedIn();
    const grace = await signedIn("grace@example.com");
    const forGrace = await new SoftwareAuthenticator(ORIGIN).create((await registrationOptions(grace)) as never);
    await expectRefused(await ada.postJson("/account/passkeys", { response: forGrace }), 400, "expired-challenge");

    const signInChallenge = (await signInOptions(ada)).challenge as string;
    const options = { ...(await registrationOptions(ada)), challenge: signInChallenge };
    const response = await new SoftwareAuthenticator(ORIGIN).create(options as never);
    await expectRefused(await ada.postJson("/account/passkeys", { response }), 400, "expired-challenge");
    expect(await count("passkeys")).toBe(0);
  });

  it("refuses a challenge older than 5 minutes, and takes one just younger", async () => {
    const browser = await signedIn();
    const late = await new SoftwareAuthenticator(ORIGIN).create((await registrationOptions(browser)) as never);
    await env.DB.prepare("UPDATE passkey_challenges SET expires_at = expires_at - ?1").bind(5 * 60_000 + 1000).run();
    await expectRefused(await browser.postJson("/account/passkeys", { response: late }), 400, "expired-challenge");
    const inTime = await new SoftwareAuthenticator(ORIGIN).create((await registrationOptions(browser)) as never);
    await env.DB.prepare("UPDATE passkey_challenges SET expires_at = expires_at - ?1").bind(5 * 60_000 - 1000).run();
    expect((await browser.postJson("/account/passkeys", { response: inTime })).status).toBe(201);
  });
});

describe("signing in with a passkey", () => {
  it("offers request options with this site's rpId, required user verification and no allowCredentials", async () => {
    const options = await signInOptions(new Browser());
    expect(options).toEqual({ challenge: expect.any(String), rpId: "latchkey.test", timeout: 300_000, userVerification: "required", allowCredentials: [] });
    expect(fromBase64url(options.challenge).length).toBe(32);
    expect(await count("passkey_challenges")).toBe(1);
  });

  it("signs in with the session and device cookies, goes to redirectTo, logs it and alerts about the new device", async () => {
    const { authenticator } = await addPasskey(await signedIn());
    const phone = new Browser(SAFARI_IPHONE, { ip: "198.51.100.7", country: "FR", city: "Paris" });
    const response = await passkeySignIn(phone, authenticator, {}, { redirectTo: "/account?tab=security" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ redirectTo: "/account?tab=security" });
    const cookies = response.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith("__Host-latchkey_session="))).toMatch(/HttpOnly.*Secure|Secure.*HttpOnly/);
    expect(cookies.some((c) => c.startsWith("__Host-latchkey_device="))).toBe(true);
    expect((await phone.get("/dashboard")).status).toBe(200);

    expect(await rows("SELECT method FROM sessions ORDER BY created_at DESC LIMIT 1")).toEqual([{ method: "passkey" }]);
    expect((await events("sign_in")).at(-1)).toEqual({ detail: "passkey", user_id: await userId() });
    expect((await lastMailTo(EMAIL)).subject).toBe("New sign-in to your Latchkey account");
    const [used] = await rows("SELECT last_used_at FROM passkeys");
    expect(used!.last_used_at).toEqual(expect.any(Number));
  });

  it("goes to the dashboard when redirectTo isn't a path on this site (WEB-2)", async () => {
    const { authenticator } = await addPasskey(await signedIn());
    const response = await passkeySignIn(new Browser(), authenticator, {}, { redirectTo: "//evil.example/x" });
    expect(await response.json()).toEqual({ redirectTo: "/dashboard" });
  });

  it("refuses an assertion made for another origin or another rpId, and signs nobody in (WAN-1)", async () => {
    const { authenticator } = await addPasskey(await signedIn());
    const before = await count("sessions");
    for (const overrides of [{ origin: "https://evil.example" }, { rpId: "evil.example" }, { type: "webauthn.create" }, { crossOrigin: true }]) {
      await expectRefused(await passkeySignIn(new Browser(), authenticator, overrides), 400, "wrong-site");
    }
    expect(await count("sessions")).toBe(before);
  });

  it("refuses an assertion without user verification (WAN-3)", async () => {
    const { authenticator } = await addPasskey(await signedIn());
    await expectRefused(await passkeySignIn(new Browser(), authenticator, { userVerified: false }), 400, "no-user-verification");
  });

  it("refuses a replayed assertion (WAN-2)", async () => {
    const { authenticator } = await addPasskey(await signedIn());
    const browser = new Browser();
    const response = await authenticator.get((await signInOptions(browser)) as never);
    expect((await browser.postJson("/auth/passkey", { response })).status).toBe(200);
    await expectRefused(await new Browser().postJson("/auth/passkey", { response }), 400, "expired-challenge");
  });

  it("refuses a registration challenge used to sign in (bound to its purpose)", async () => {
    const ada = await signedIn();
    const { authenticator } = await addPasskey(ada);
    const { challenge } = await registrationOptions(ada);
    const response = await authenticator.get({ challenge, rpId: "latchkey.test" });
    await expectRefused(await ada.postJson("/auth/passkey", { response }), 400, "expired-challenge");
  });

  it("refuses a made-up challenge", async () => {
    const { authenticator } = await addPasskey(await signedIn());
    const response = await authenticator.get({ challenge: "bm90LWlzc3VlZC1ieS11cy1hdC1hbGwtMDEyMzQ1Njc" });
    await expectRefused(await new Browser().postJson("/auth/passkey", { response }), 400, "expired-challenge");
  });

  it("answers 401 for a passkey this site never registered", async () => {
    await signedIn();
    const stranger = new SoftwareAuthenticator(ORIGIN);
    await stranger.create({ challenge: "eA", rp: { name: "x" }, user: { id: "dXNyX3N0cmFuZ2Vy", name: "s", displayName: "s" } });
    await expectRefused(await passkeySignIn(new Browser(), stranger), 401, "unknown-credential");
    expect((await events("passkey_refused")).at(-1)!.detail).toBe("sign-in: unknown-credential");
  });

  it("answers 401 for a passkey deleted from the account", async () => {
    const ada = await signedIn();
    const { authenticator, passkey } = await addPasskey(ada);
    expect((await ada.post(`/account/passkeys/${passkey.id}`, { intent: "delete" })).status).toBe(303);
    await expectRefused(await passkeySignIn(new Browser(), authenticator), 401, "unknown-credential");
  });

  it("refuses and logs a sign count that went backwards (a cloned authenticator, WAN-4)", async () => {
    const { authenticator } = await addPasskey(await signedIn(), new SoftwareAuthenticator(ORIGIN, { countsSignatures: true }));
    expect((await passkeySignIn(new Browser(), authenticator)).status).toBe(200); // count 2
    await expectRefused(await passkeySignIn(new Browser(), authenticator, { signCount: 2 }), 401, "cloned");
    await expectRefused(await passkeySignIn(new Browser(), authenticator, { signCount: 0 }), 401, "cloned");
    expect((await events("passkey_refused")).map((e) => e.detail)).toEqual([
      "sign-in: counter 2 after 2 (Firefox on Linux)",
      "sign-in: counter 0 after 2 (Firefox on Linux)",
    ]);
    expect((await passkeySignIn(new Browser(), authenticator, { signCount: 7 })).status).toBe(200);
    expect(await rows("SELECT sign_count FROM passkeys")).toEqual([{ sign_count: 7 }]);
  });

  it("keeps accepting a passkey whose counter always stays 0 (synced passkeys)", async () => {
    const { authenticator } = await addPasskey(await signedIn());
    for (let i = 0; i < 3; i++) expect((await passkeySignIn(new Browser(), authenticator)).status).toBe(200);
  });

  it("signs an account with 2FA on straight in, without the TOTP step (a UV passkey is multi-factor)", async () => {
    const ada = await signedIn();
    await ada.post("/account", { intent: "setup-2fa" });
    const secret = (await (await ada.get("/account/2fa")).text()).match(/data-testid="totp-secret">([A-Z2-7 ]+)</)![1]!;
    await awayFromStepBoundary();
    expect((await ada.post("/account/2fa", { code: await totp(secret) })).status).toBe(200);
    const { authenticator } = await addPasskey(ada);

    const laptop = new Browser();
    const response = await passkeySignIn(laptop, authenticator);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ redirectTo: "/dashboard" });
    expect(response.headers.getSetCookie().some((c) => c.startsWith("__Host-latchkey_2fa=") && !/Max-Age=0/.test(c))).toBe(false);
    expect((await laptop.get("/dashboard")).status).toBe(200);
    expect(await count("pending_sign_ins")).toBe(0);
  });

  it("turns 20 parallel uses of one assertion into exactly one session (WAN-2, TOK-3)", async () => {
    const { authenticator } = await addPasskey(await signedIn());
    const before = await count("sessions");
    const browser = new Browser();
    const response = await authenticator.get((await signInOptions(browser)) as never);
    const answers = await Promise.all(Array.from({ length: 20 }, () => new Browser().postJson("/auth/passkey", { response })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(19).fill(400)]);
    expect(await count("sessions")).toBe(before + 1);
  });

  it("answers 415 to a body that isn't JSON, 400 to JSON of the wrong shape, and 403 to another site", async () => {
    const browser = new Browser();
    const form = await browser.post("/auth/passkey", { response: "x" });
    await expectRefused(form, 415, "unsupported-media-type");
    await expectRefused(await browser.postJson("/auth/passkey", { response: { id: "x" } }), 400, "malformed");
    const crossSite = await browser.fetch("/auth/passkey/options", {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json", Origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    expect(await count("passkey_challenges")).toBe(0);
  });

  it("is rate-limited per IP like other guesses (RL-1)", async () => {
    const browser = new Browser();
    for (let i = 0; i < 30; i++) expect((await browser.postJson("/auth/passkey/options")).status).toBe(200);
    const limited = await browser.postJson("/auth/passkey/options");
    await expectRefused(limited, 429, "rate-limited");
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("gives the login page's email field passkey autofill (conditional UI)", async () => {
    const html = await (await new Browser().get("/login")).text();
    expect(html).toMatch(/<input[^>]*autoComplete="username webauthn"|<input[^>]*autocomplete="username webauthn"/);
  });
});

describe("managing passkeys on the account page", () => {
  it("lists passkeys, renames one and says so", async () => {
    const ada = await signedIn();
    const { passkey } = await addPasskey(ada);
    const renamed = await ada.post(`/account/passkeys/${passkey.id}`, { intent: "rename", name: "Ada's iPhone" });
    expect(renamed.status).toBe(303);
    expect(renamed.headers.get("Location")).toBe("/account");
    expect(await rows("SELECT name FROM passkeys")).toEqual([{ name: "Ada's iPhone" }]);
    const page = (await (await ada.get("/account")).text()).replaceAll("&#x27;", "'").replaceAll("&#39;", "'");
    expect(page).toContain("Renamed the passkey to “Ada's iPhone”.");
    expect(page).toContain('data-testid="passkey"');
    // The notice shows once.
    expect(await (await ada.get("/account")).text()).not.toContain("Renamed the passkey");
  });

  it("deletes a passkey and emails the account", async () => {
    const ada = await signedIn();
    const { passkey } = await addPasskey(ada);
    const deleted = await ada.post(`/account/passkeys/${passkey.id}`, { intent: "delete" });
    expect(deleted.headers.get("Location")).toBe("/account");
    expect(await count("passkeys")).toBe(0);
    expect((await lastMailTo(EMAIL)).subject).toBe("A passkey was removed from your Latchkey account");
    expect(await events("passkey_removed")).toHaveLength(1);
  });

  it("can't touch another account's passkey", async () => {
    const { passkey } = await addPasskey(await signedIn());
    const grace = await signedIn("grace@example.com");
    await grace.post(`/account/passkeys/${passkey.id}`, { intent: "delete" });
    await grace.post(`/account/passkeys/${passkey.id}`, { intent: "rename", name: "mine" });
    expect(await rows("SELECT name FROM passkeys")).toEqual([{ name: "iCloud Keychain" }]);
    expect(await (await grace.get("/account")).text()).toContain("isn");
  });

  it("sends an older session to confirm it's you before renaming or deleting", async () => {
    const ada = await signedIn();
    const { passkey } = await addPasskey(ada);
    await ageSessions(11);
    const response = await ada.post(`/account/passkeys/${passkey.id}`, { intent: "delete" });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/account/confirm?next=%2Faccount%23passkeys");
    expect(await count("passkeys")).toBe(1);
  });
});

describe("confirming it's you with a passkey (step-up)", () => {
  it("offers the passkey first on the confirm page and marks the session recent", async () => {
    const ada = await signedIn();
    const { authenticator } = await addPasskey(ada);
    await ageSessions(11);
    const page = await (await ada.get("/account/confirm?next=%2Faccount%23passkeys")).text();
    expect(page).toContain('data-passkey-step-up="available"');

    const options = (await (await ada.postJson("/account/confirm/passkey/options")).json()) as Json;
    expect(options.allowCredentials).toEqual([{ type: "public-key", id: authenticator.credentialIds[0], transports: ["internal", "hybrid"] }]);
    const response = await authenticator.get(options as never);
    const confirmed = await ada.postJson("/account/confirm/passkey", { response, next: "/account#passkeys" });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toEqual({ redirectTo: "/account?confirmed=1#passkeys" });
    expect((await ada.postJson("/account/passkeys/options")).status).toBe(200);
    expect((await events("step_up")).at(-1)!.detail).toBe("passkey");
  });

  it("won't confirm with another account's passkey, nor with a sign-in challenge", async () => {
    const { authenticator: adasKey } = await addPasskey(await signedIn());
    const grace = await signedIn("grace@example.com");
    await addPasskey(grace);
    await ageSessions(11);
    const options = (await (await grace.postJson("/account/confirm/passkey/options")).json()) as Json;
    await expectRefused(await grace.postJson("/account/confirm/passkey", { response: await adasKey.get(options as never) }), 401, "unknown-credential");
    const signIn = await signInOptions(grace);
    await expectRefused(
      await grace.postJson("/account/confirm/passkey", { response: await adasKey.get(signIn as never) }),
      400,
      "expired-challenge",
    );
    expect((await grace.postJson("/account/passkeys/options")).status).toBe(403);
  });
});

describe("statements for the account's own flows", () => {
  it("deletePasskeysCreatedSince and deleteAllPasskeys remove exactly what they say, inside a batch", async () => {
    const { createDb } = await import("~/lib/db.server");
    const { deleteAllPasskeys, deletePasskeysCreatedSince } = await import("~/auth/passkeys/statements.server");
    const db = createDb(env.DB);
    const ada = await signedIn();
    await addPasskey(ada);
    await env.DB.prepare("UPDATE passkeys SET created_at = created_at - 3600000").run();
    await addPasskey(ada, new SoftwareAuthenticator(ORIGIN), "New one");
    const since = new Date(Date.now() - 60_000);
    const [removedRecent] = await db.batch([deletePasskeysCreatedSince(db, await userId(), since)]);
    expect(removedRecent.map((r) => r.name)).toEqual(["New one"]);
    await db.batch([deleteAllPasskeys(db, await userId())]);
    expect(await count("passkeys")).toBe(0);
    expect(await mailsTo(EMAIL)).not.toHaveLength(0);
  });
});

describe("\"This wasn't me\" and account deletion", () => {
  it("removes a passkey registered since the disowned sign-in, keeps an older one, and says so", async () => {
    const owner = await signedIn();
    await addPasskey(owner, new SoftwareAuthenticator(ORIGIN, { aaguid: AAGUID_ICLOUD }), "Owner's");
    await env.DB.prepare("UPDATE passkeys SET created_at = created_at - 3600000").run();
    // Whoever signed in from another browser registers a passkey of their own.
    const intruder = await signedIn(EMAIL, new Browser(CHROME_WINDOWS, { ip: "192.0.2.77", country: "JP", city: "Tokyo" }));
    await addPasskey(intruder, new SoftwareAuthenticator(ORIGIN), "Intruder's");
    const alert = (await mailsTo(EMAIL)).find((mail) => mail.subject === "New sign-in to your Latchkey account")!;
    const token = new URL(alert.text.match(/https?:\/\/\S+\/auth\/not-me\?token=[A-Za-z0-9_-]+/)![0]).searchParams.get("token")!;

    const undone = await new Browser(SAFARI_IPHONE).post("/auth/not-me", { token });
    expect(undone.status).toBe(200);
    expect(await undone.text()).toContain("the passkey “Intruder&#x27;s” added since then");
    expect((await rows("SELECT name FROM passkeys")).map((row) => row.name)).toEqual(["Owner's"]);
  });

  it("removes every passkey with the account", async () => {
    const browser = await signedIn();
    await addPasskey(browser);
    const page = await browser.get("/account/delete");
    expect(page.status).toBe(200);
    const deleted = await browser.post("/account/delete", { email: EMAIL });
    expect(deleted.status).toBe(303);
    expect(await count("passkeys")).toBe(0);
  });
});
