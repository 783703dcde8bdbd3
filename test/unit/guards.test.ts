import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { hasRecentAuthentication, requireRecentAuthentication } from "~/auth/guards.server";
import { serializeSessionCookie } from "~/auth/session/cookies.server";
import { users } from "~/db/schema";
import { client, createTestSession, db, MINUTE, testClock, testConfig } from "../helpers/deps";

const config = testConfig();

/** A request from a browser holding the session cookie for `token`. */
async function requestWith(token: string, expiresAt: Date) {
  const cookie = (await serializeSessionCookie(config, token, expiresAt)).split(";")[0]!;
  return new Request("https://latchkey.test/account/delete", { headers: { Cookie: cookie } });
}

/** What a thrown guard redirect says, or the test fails. */
async function redirectFrom(guard: Promise<unknown>): Promise<{ status: number; location: string | null }> {
  const thrown = await guard.then(
    () => expect.fail("the guard let the request through"),
    (error: unknown) => error,
  );
  if (!(thrown instanceof Response)) throw thrown;
  return { status: thrown.status, location: thrown.headers.get("Location") };
}

describe("requireRecentAuthentication", () => {
  let clock: ReturnType<typeof testClock>;
  let context: { db: typeof db; config: typeof config; now: () => Date };
  beforeEach(async () => {
    clock = testClock();
    context = { db, config, now: clock.now };
    await db.insert(users).values({ id: "usr_1", email: "ada@example.com", createdAt: clock.now() });
  });

  it("returns the user and session of a sign-in less than ten minutes old (SES-5)", async () => {
    const { token, session } = await createTestSession("usr_1", client, { now: clock.now(), config });
    clock.advance(10 * MINUTE - 1000);
    const signedIn = await requireRecentAuthentication(await requestWith(token, session.expiresAt), context, "/account/delete");
    expect(signedIn.user.email).toBe("ada@example.com");
    expect(signedIn.session.id).toBe(session.id);
    expect(hasRecentAuthentication(signedIn, context)).toBe(true);
  });

  it("sends a sign-in ten minutes old to the confirm page, which comes back to returnTo", async () => {
    const { token, session } = await createTestSession("usr_1", client, { now: clock.now(), config });
    clock.advance(10 * MINUTE);
    const request = await requestWith(token, session.expiresAt);
    expect(await redirectFrom(requireRecentAuthentication(request, context, "/account#two-factor"))).toEqual({
      status: 303,
      location: "/account/confirm?next=%2Faccount%23two-factor",
    });
  });

  it("counts a confirmation (step-up) as recent, however old the sign-in", async () => {
    const { token, session } = await createTestSession("usr_1", client, { now: clock.now(), config });
    clock.advance(60 * MINUTE);
    await env.DB.prepare("UPDATE sessions SET authenticated_at = ?1").bind(clock.now().getTime() - 5 * MINUTE).run();
    const signedIn = await requireRecentAuthentication(await requestWith(token, session.expiresAt), context, "/account/delete");
    expect(signedIn.user.id).toBe("usr_1");
  });

  it("sends a signed-out visitor to sign in, and back to the page afterwards", async () => {
    const request = new Request("https://latchkey.test/account/delete");
    expect(await redirectFrom(requireRecentAuthentication(request, context, "/account/delete"))).toEqual({
      status: 303,
      location: "/login?redirectTo=%2Faccount%2Fdelete",
    });
  });
});
