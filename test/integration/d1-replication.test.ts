import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fetchWithEnv, requestLink, url } from "../helpers/app";

/** The D1 binding, recording where each request's D1 session starts (decision 014). */
function recordingD1() {
  const starts: (string | undefined)[] = [];
  const sessions: D1DatabaseSession[] = [];
  const d1 = new Proxy(env.DB, {
    get(target, property) {
      if (property === "withSession") {
        return (start?: string) => {
          starts.push(start);
          sessions.push(target.withSession(start));
          return sessions.at(-1);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { d1, starts, sessions };
}

const cookiePair = (setCookie: string) => setCookie.split(";")[0]!;

describe("the D1 bookmark through the Worker", () => {
  it("signs in on the primary, hands back a bookmark, and opens the next anonymous page view at it", async () => {
    const token = await requestLink("ada@example.com");
    const { d1, starts } = recordingD1();
    const signedIn = await fetchWithEnv(
      new Request(url("/auth/verify"), {
        method: "POST",
        body: new URLSearchParams({ token }),
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://latchkey.test", Host: "latchkey.test" },
        redirect: "manual",
      }),
      { DB: d1 },
    );
    expect(signedIn.status).toBe(303);
    expect(starts).toEqual(["first-primary"]);
    const setCookies = signedIn.headers.getSetCookie();
    const bookmarkCookie = setCookies.find((c) => c.startsWith("__Host-latchkey_d1="));
    expect(bookmarkCookie).toBeDefined();

    // Signed in: the session cookie sends the request to the primary (SES-7), whatever the bookmark.
    const session = cookiePair(setCookies.find((c) => c.startsWith("__Host-latchkey_session="))!);
    await fetchWithEnv(new Request(url("/dashboard"), { headers: { Cookie: `${session}; ${cookiePair(bookmarkCookie!)}`, Host: "latchkey.test" } }), { DB: d1 });
    expect(starts[1]).toBe("first-primary");

    // Anonymous with the bookmark: the D1 session starts at it, so any replica serving it has the sign-in.
    await fetchWithEnv(new Request(url("/healthz"), { headers: { Cookie: cookiePair(bookmarkCookie!), Host: "latchkey.test" } }), { DB: d1 });
    // (The sign-in's session went on writing after the response, the security log, so its bookmark now
    // may be later than the one it sent; the unit tests compare the exact value.)
    expect(starts[2]).toMatch(/\S/);
    expect(starts[2]).not.toMatch(/^first-/);

    // And without it, the nearest copy.
    await fetchWithEnv(new Request(url("/healthz"), { headers: { Host: "latchkey.test" } }), { DB: d1 });
    expect(starts[3]).toBe("first-unconstrained");
  });
});
