import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  codeIn,
  cookieFrom,
  count,
  followToSentPage,
  get,
  lastMailTo,
  letTimePass,
  post,
  requestLink,
  sentStateIn,
  withAddress,
  wrongCodeFor,
} from "../helpers/app";

async function requestCode(email: string, redirectTo = ""): Promise<string> {
  await requestLink(email, redirectTo);
  return codeIn(await lastMailTo(email));
}

const submitCode = (email: string, code: string, headers: Record<string, string> = {}) =>
  post("/auth/code", { email, code }, { headers });

describe("POST /auth/code", () => {
  it("signs in with the code from the email and goes to redirectTo", async () => {
    const code = await requestCode("ada@example.com", "/dashboard?via=code");
    const response = await submitCode("ada@example.com", code);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/dashboard?via=code");
    expect(response.headers.get("Set-Cookie")).toMatch(/^__Host-latchkey_session=.+; HttpOnly; Secure; SameSite=Lax/);
    expect(await count("sessions")).toBe(1);
  });

  it("accepts a code typed with a space, and an email typed in capitals", async () => {
    const code = await requestCode("ada@example.com");
    const response = await submitCode("ADA@example.com", `${code.slice(0, 3)} ${code.slice(3)}`);
    expect(response.status).toBe(303);
  });

  it("refuses a reused code with only the way forward: a primary 'Send a new email', no code box", async () => {
    const code = await requestCode("ada@example.com");
    await submitCode("ada@example.com", code);
    const response = await submitCode("ada@example.com", code);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("That code was already used.");
    expect(html).toMatch(/<form method="post" action="\/login"[^>]*><input type="hidden" name="email" value="ada@example.com"\/><button type="submit">Send a new email<\/button>/);
    expect(html).not.toMatch(/name="code"/);
    expect(html).not.toContain('action="/auth/code"');
  });

  it.each([
    ["expired", async (code: string) => { await letTimePass(10 * 60); return code; }, "That code has expired"],
    ["superseded", async (code: string) => { await requestCode("ada@example.com"); return code; }, "A newer email was sent"],
    ["burned by wrong tries", async (code: string) => { for (let i = 0; i < 5; i++) await submitCode("ada@example.com", wrongCodeFor(code)); return code; }, "Too many wrong tries"],
  ] as const)("shows only the way forward for a code that is %s", async (_, spoil, words) => {
    const code = await spoil(await requestCode("ada@example.com"));
    const response = await submitCode("ada@example.com", code);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain(words);
    expect(html).toContain("<h1");
    expect(html).toMatch(/<button type="submit">Send a new email<\/button>/);
    expect(html).not.toMatch(/name="code"/);
  });

  it("after a burned code, 'Send a new email' within the 30 seconds offers no box for that code, then a new email does", async () => {
    const sent = await post("/login", { email: "ada@example.com" });
    const cookie = cookieFrom(sent);
    const code = codeIn(await lastMailTo("ada@example.com"));
    let burned: Response | undefined;
    for (let i = 0; i < 5; i++) burned = await post("/auth/code", { code: wrongCodeFor(code) }, { headers: { Cookie: cookie } });
    burned = await post("/auth/code", { code: wrongCodeFor(code) }, { headers: { Cookie: cookie } });
    expect(await burned.text()).toContain("Too many wrong tries");
    const spent = cookieFrom(burned);
    expect(sentStateIn(burned)).toMatchObject({ email: "ada@example.com", codeSpent: true });

    // Within the spacing: no email, and the page says the code is spent instead of asking for it.
    const again = await post("/login", { resend: "1" }, { headers: { Cookie: spent } });
    expect(again.headers.get("Location")).toBe("/login/sent");
    expect(sentStateIn(again)).toMatchObject({ justSent: true, codeSpent: true });
    const page = await followToSentPage(again);
    const html = (await page.text()).replaceAll("&#x27;", "'");
    expect(html).toContain("The code from the last email can't be used any more.");
    expect(html).toMatch(/<button type="submit">Send a new email<\/button>/);
    expect(html).not.toMatch(/name="code"/);
    expect(html).toMatch(/You can send another in \d+ seconds?\./);
    expect(await count("verification_tokens")).toBe(1);

    // Once it may: a new email, and the code box for it.
    await letTimePass(31);
    const fresh = await post("/login", { resend: "1" }, { headers: { Cookie: cookieFrom(again) } });
    expect(sentStateIn(fresh)).toMatchObject({ justSent: false, codeSpent: false });
    expect(await (await followToSentPage(fresh)).text()).toMatch(/name="code"/);
  });

  it("answers a wrong code with 400 and the tries left, tied to the field", async () => {
    const code = await requestCode("ada@example.com");
    const response = await submitCode("ada@example.com", wrongCodeFor(code));
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("That code isn&#x27;t right — 4 tries left.");
    expect(html).toMatch(/aria-invalid="true" aria-describedby="field-code-hint field-code-error"/);
  });

  it("refuses even the right code after 5 wrong ones", async () => {
    const code = await requestCode("ada@example.com");
    for (let i = 0; i < 5; i++) await submitCode("ada@example.com", wrongCodeFor(code));
    const response = await submitCode("ada@example.com", code);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Too many wrong tries: that code no longer works.");
    expect(await count("sessions")).toBe(0);
  });

  it("counts exactly 5 of 30 parallel wrong guesses, with no 5xx", async () => {
    const code = await requestCode("ada@example.com");
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => submitCode("ada@example.com", wrongCodeFor(code))),
    );
    expect(responses.every((r) => r.status === 400)).toBe(true);
    const row = await env.DB.prepare("SELECT attempts FROM verification_tokens").first<{ attempts: number }>();
    expect(row!.attempts).toBe(5);
    expect((await submitCode("ada@example.com", code)).status).toBe(400);
    expect(await count("sessions")).toBe(0);
  });

  it("refuses email A's code for email B", async () => {
    const code = await requestCode("ada@example.com");
    await requestCode("bob@example.com");
    const response = await submitCode("bob@example.com", code);
    expect(response.status).toBe(400);
    expect(await count("sessions")).toBe(0);
  });

  it("says a newer email was sent when the code is from an older one", async () => {
    const old = await requestCode("ada@example.com");
    await requestCode("ada@example.com");
    const response = await submitCode("ada@example.com", old);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("A newer email was sent");
  });

  it("says an expired code has expired", async () => {
    const code = await requestCode("ada@example.com");
    await letTimePass(10 * 60);
    const response = await submitCode("ada@example.com", code);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("That code has expired");
  });

  it.each([["12345"], ["abcdef"], ["1234567"], [""]])("asks for 6 digits when given %j", async (code) => {
    const response = await submitCode("ada@example.com", code);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Enter the 6-digit code from the email.");
  });

  it("pauses code sign-in for the address after 10 failures, but its link keeps working", async () => {
    let code = await requestCode("ada@example.com");
    for (let failure = 1; failure <= 9; failure++) {
      if (failure === 5 || failure === 9) code = await requestCode("ada@example.com");
      expect((await submitCode("ada@example.com", wrongCodeFor(code))).status).toBe(400);
    }
    const locked = await submitCode("ada@example.com", wrongCodeFor(code));
    expect(locked.status).toBe(429);
    expect(locked.headers.get("Retry-After")).toBe("3600");
    expect(await locked.text()).toContain("Code sign-in is paused for 1 hour; the link in your email still works.");
    expect((await submitCode("ada@example.com", code)).status).toBe(429);

    const token = await requestLink("ada@example.com");
    expect((await post("/auth/verify", { token })).status).toBe(303);
  });
});

describe("GET /auth/code", () => {
  it("shows the code form for an address", async () => {
    const response = await get("/auth/code?email=ada%40example.com");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<input type="hidden" name="email" value="ada@example.com"/>');
    expect(html).toMatch(/autoComplete="one-time-code"|autocomplete="one-time-code"/);
  });

  it("points a visitor without an address to the sign-in page", async () => {
    const response = await get("/auth/code");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Which email should we check?");
    expect(html).toContain('href="/login"');
  });
});

describe("the check-your-email page's code form", () => {
  it("offers the code form without the address: it travels in the page's signed cookie", async () => {
    const html = await (await followToSentPage(await post("/login", { email: "ada@example.com" }))).text();
    expect(html).toMatch(/<form method="post" action="\/auth\/code"[^>]*>/);
    expect(html).not.toContain('name="email" value="ada@example.com"');
    expect(html).toContain('<label for="field-code">Sign-in code</label>');
    expect(html).toMatch(/<input[^>]*autocomplete="one-time-code"/i);
    // Focused on arrival, with or without JavaScript (issue 16).
    expect(html).toMatch(/<input[^>]*name="code"[^>]*autofocus=""/i);
  });

  it("signs in with a code posted without an address, taking the address from the cookie", async () => {
    const sent = await post("/login", { email: "ada@example.com", redirectTo: "/account" });
    const code = codeIn(await lastMailTo("ada@example.com"));
    const response = await post("/auth/code", { code }, { cookie: cookieFrom(sent) });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/account");
    expect(await count("sessions")).toBe(1);
  });

  it("answers a wrong code posted through the cookie like one with the address: 400 and the tries left", async () => {
    const sent = await post("/login", { email: "ada@example.com" });
    const code = codeIn(await lastMailTo("ada@example.com"));
    const response = await post("/auth/code", { code: wrongCodeFor(code) }, { cookie: cookieFrom(sent) });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("That code isn&#x27;t right — 4 tries left.");
    expect(html).toContain("a…@example.com");
  });

  it("sends a code without an address and without the cookie to the sign-in page", async () => {
    await post("/login", { email: "ada@example.com" });
    const code = codeIn(await lastMailTo("ada@example.com"));
    const response = await post("/auth/code", { code });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login");
    expect(await count("sessions")).toBe(0);
  });

  it("ignores a cookie whose address was changed: the signature no longer matches", async () => {
    await post("/login", { email: "ada@example.com" });
    const code = codeIn(await lastMailTo("ada@example.com"));
    const forged = await post("/login", { email: "eve@example.com" });
    const response = await post("/auth/code", { code }, { cookie: withAddress(cookieFrom(forged), "ada@example.com") });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login");
    expect(await count("sessions")).toBe(0);
  });
});

describe("where the person was going", () => {
  it("survives a wrong code and a new email sent from the code page", async () => {
    // As the browser sends it: the login form posts to its own URL, query string included.
    const sent = await post("/login?redirectTo=%2Faccount", { email: "ada@example.com", redirectTo: "/account" });
    expect(sent.status).toBe(303);
    // The check-your-email page keeps it in its cookie (and its "Use a different email" link).
    expect(sentStateIn(sent).redirectTo).toBe("/account");
    expect(await (await followToSentPage(sent)).text()).toContain('href="/login?redirectTo=%2Faccount"');
    const code = codeIn(await lastMailTo("ada@example.com"));
    // That page's code form posts only the code.
    const wrong = await post("/auth/code", { code: wrongCodeFor(code) }, { cookie: cookieFrom(sent) });
    expect(wrong.status).toBe(400);
    const html = await wrong.text();
    // Both the code form and the "send a new email" form carry it on.
    expect(html.match(/name="redirectTo" value="\/account"/g)).toHaveLength(2);

    await letTimePass(31);
    const again = await post("/login", { email: "ada@example.com", redirectTo: "/account" });
    expect(again.status).toBe(303);
    const fresh = codeIn(await lastMailTo("ada@example.com"));
    const done = await post("/auth/code", { email: "ada@example.com", code: fresh, redirectTo: "/account" });
    expect(done.status).toBe(303);
    expect(done.headers.get("Location")).toBe("/account");
  });

  it("survives 'Send another email' on the check-your-email page", async () => {
    const sent = await post("/login", { email: "ada@example.com", redirectTo: "/account" });
    await letTimePass(31);
    const another = await post("/login", { resend: "1" }, { cookie: cookieFrom(sent) });
    expect(another.status).toBe(303);
    expect(sentStateIn(another)).toMatchObject({ email: "ada@example.com", redirectTo: "/account", justSent: false });
    const code = codeIn(await lastMailTo("ada@example.com"));
    const done = await post("/auth/code", { code }, { cookie: cookieFrom(another) });
    expect(done.headers.get("Location")).toBe("/account");
  });

  it("doesn't put the default destination on 'Use a different email'", async () => {
    const html = await (await followToSentPage(await post("/login", { email: "ada@example.com" }))).text();
    expect(html).toMatch(/<a class="button secondary" href="\/login">Use a different email<\/a>/);
  });

  it("ignores an off-site redirectTo in the code form", async () => {
    await post("/login", { email: "ada@example.com" });
    const code = codeIn(await lastMailTo("ada@example.com"));
    const wrong = await post("/auth/code", { email: "ada@example.com", code: wrongCodeFor(code), redirectTo: "https://evil.example/" });
    expect(await wrong.text()).not.toContain("evil.example");
  });
});
