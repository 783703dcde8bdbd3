import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { chooseSessionStart, openRequestD1 } from "~/lib/d1-sessions.server";
import { testConfig } from "../helpers/deps";

const config = testConfig();
const ORIGIN = "https://latchkey.test";

/** The binding, recording where each D1 session it opens starts. */
function recordingD1() {
  const starts: (string | undefined)[] = [];
  const d1 = new Proxy(env.DB, {
    get(target, property) {
      if (property === "withSession") {
        return (start?: string) => {
          starts.push(start);
          return target.withSession(start);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { d1, starts };
}

/** A bookmark cookie as the Worker sets it after a write, ready to send back. */
async function bookmarkAfterAWrite(): Promise<{ bookmark: string; cookie: string }> {
  const request = new Request(`${ORIGIN}/logout`, { method: "POST" });
  const d1 = await openRequestD1(env.DB, request, config);
  await d1.session.prepare("INSERT INTO users (id, email, created_at) VALUES ('usr_bookmark', 'bookmark@example.com', 0)").run();
  const setCookie = await d1.bookmarkCookie();
  if (!setCookie) throw new Error("no bookmark cookie after a write");
  return { bookmark: d1.session.getBookmark()!, cookie: setCookie.split(";")[0]! };
}

describe("D1 sessions (read replication)", () => {
  it("starts an anonymous GET without a bookmark on the nearest copy", async () => {
    expect(await chooseSessionStart(new Request(`${ORIGIN}/login`), config)).toBe("first-unconstrained");
  });

  it("starts a request with a session cookie on the primary, whatever bookmark it carries (SES-7)", async () => {
    const { cookie } = await bookmarkAfterAWrite();
    const request = new Request(`${ORIGIN}/api/session`, { headers: { Cookie: `__Host-latchkey_session=abc; ${cookie}` } });
    expect(await chooseSessionStart(request, config)).toBe("first-primary");
  });

  it("starts a request with a pending two-step sign-in on the primary", async () => {
    const request = new Request(`${ORIGIN}/login/two-factor`, { headers: { Cookie: "__Host-latchkey_2fa=abc" } });
    expect(await chooseSessionStart(request, config)).toBe("first-primary");
  });

  it("starts a request with an Authorization header (access tokens, client credentials) on the primary", async () => {
    const request = new Request(`${ORIGIN}/oauth/userinfo`, { headers: { Authorization: "Bearer abc" } });
    expect(await chooseSessionStart(request, config)).toBe("first-primary");
  });

  it("starts every POST on the primary", async () => {
    expect(await chooseSessionStart(new Request(`${ORIGIN}/login`, { method: "POST" }), config)).toBe("first-primary");
  });

  it("answers a request that wrote with its bookmark in a signed cookie", async () => {
    const { bookmark, cookie } = await bookmarkAfterAWrite();
    expect(cookie).toMatch(/^__Host-latchkey_d1=/);
    expect(decodeURIComponent(cookie)).not.toContain(bookmark); // signed and encoded, not the bare value
    const request = new Request(`${ORIGIN}/`, { headers: { Cookie: cookie } });
    expect(await chooseSessionStart(request, config)).toEqual({ bookmark });
  });

  it("sets no bookmark cookie after a GET", async () => {
    const d1 = await openRequestD1(env.DB, new Request(`${ORIGIN}/healthz`), config);
    await d1.session.prepare("SELECT 1").first();
    expect(await d1.bookmarkCookie()).toBeNull();
  });

  it("opens an anonymous GET's D1 session at the bookmark its cookie carries", async () => {
    const { bookmark, cookie } = await bookmarkAfterAWrite();
    const { d1, starts } = recordingD1();
    const opened = await openRequestD1(d1, new Request(`${ORIGIN}/`, { headers: { Cookie: cookie } }), config);
    expect(starts).toEqual([bookmark]);
    // The write this browser made is visible through the session opened at its bookmark.
    const row = await opened.session.prepare("SELECT email FROM users WHERE id = 'usr_bookmark'").first<{ email: string }>();
    expect(row?.email).toBe("bookmark@example.com");
  });

  it("ignores a bookmark cookie whose signature doesn't verify", async () => {
    const { bookmark } = await bookmarkAfterAWrite();
    const forged = `__Host-latchkey_d1=${encodeURIComponent(btoa(JSON.stringify(bookmark)))}`;
    expect(await chooseSessionStart(new Request(`${ORIGIN}/`, { headers: { Cookie: forged } }), config)).toBe("first-unconstrained");
  });
});
