import { describe, expect, it } from "vitest";
import { fetchWithEnv, get, post, SELF_URL_HOST } from "../helpers/app";

const LOCAL = "http://localhost:8787";
/** What `npm run dev` runs with: APP_URL on this machine and the outbox. */
const LOCAL_ENV = { APP_URL: LOCAL, EMAIL_PROVIDER: "outbox" };

function openLocally(path: string, env: Record<string, unknown> = LOCAL_ENV) {
  return fetchWithEnv(new Request(`${LOCAL}${path}`, { headers: { Host: "localhost:8787" } }), env);
}

describe("the dev mailbox", () => {
  it("lists outbox mail newest first as JSON on a loopback host", async () => {
    await post("/login", { email: "first@example.com" });
    await post("/login", { email: "second@example.com" });
    const response = await openLocally("/dev/mailbox.json");
    expect(response.status).toBe(200);
    const mails = (await response.json()) as { to: string; subject: string; text: string; html: string; sentAt: string }[];
    expect(mails.map((m) => m.to)).toEqual(["second@example.com", "first@example.com"]);
    expect(Object.keys(mails[0]!).sort()).toEqual(["html", "sentAt", "subject", "text", "to"]);
    expect(Date.parse(mails[0]!.sentAt)).not.toBeNaN();
  });

  it("shows the text part with the sign-in link clickable", async () => {
    await post("/login", { email: "ada@example.com" });
    const response = await openLocally("/dev/mailbox");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Dev mailbox");
    expect(html).toContain("To: <!-- -->ada@example.com");
    expect(html).toMatch(/<a href="https:\/\/latchkey\.test\/auth\/verify\?token=[A-Za-z0-9_-]+">/);
  });

  it("is a 404 on a non-loopback host, even with the outbox active", async () => {
    await post("/login", { email: "ada@example.com" });
    expect((await get("/dev/mailbox")).status).toBe(404);
    const json = await get("/dev/mailbox.json");
    expect(json.status).toBe(404);
    expect(await json.text()).not.toContain("ada@example.com");
  });

  it("is a 404 on a loopback request when APP_URL isn't on this machine (a tunnel or a spoofed Host)", async () => {
    await post("/login", { email: "ada@example.com" });
    // The test Worker's APP_URL is https://latchkey.test: the outbox is allowed there, reading it is not.
    const page = await SELF_URL_HOST(`${LOCAL}/dev/mailbox`);
    expect(page.status).toBe(404);
    const json = await SELF_URL_HOST(`${LOCAL}/dev/mailbox.json`);
    expect(json.status).toBe(404);
    expect(await json.text()).not.toContain("ada@example.com");
  });

  it("is a 404 on localhost when real mail is being sent", async () => {
    const env = { ...LOCAL_ENV, EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_test" };
    expect((await openLocally("/dev/mailbox", env)).status).toBe(404);
    expect((await openLocally("/dev/mailbox.json", env)).status).toBe(404);
  });
});
