import { describe, expect, it } from "vitest";
import { fetchWithEnv, get, post, SELF_URL_HOST } from "../helpers/app";

const LOCAL = "http://localhost:8787";

describe("the dev mailbox", () => {
  it("lists outbox mail newest first as JSON on a loopback host", async () => {
    await post("/login", { email: "first@example.com" });
    await post("/login", { email: "second@example.com" });
    const response = await SELF_URL_HOST(`${LOCAL}/dev/mailbox.json`);
    expect(response.status).toBe(200);
    const mails = (await response.json()) as { to: string; subject: string; text: string; html: string; sentAt: string }[];
    expect(mails.map((m) => m.to)).toEqual(["second@example.com", "first@example.com"]);
    expect(Object.keys(mails[0]!).sort()).toEqual(["html", "sentAt", "subject", "text", "to"]);
    expect(Date.parse(mails[0]!.sentAt)).not.toBeNaN();
  });

  it("shows the mail as an HTML page with the sign-in link clickable", async () => {
    await post("/login", { email: "ada@example.com" });
    const response = await SELF_URL_HOST(`${LOCAL}/dev/mailbox`);
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

  it("is a 404 on localhost when real mail is being sent", async () => {
    const env = { EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_test" };
    expect((await fetchWithEnv(new Request(`${LOCAL}/dev/mailbox`), env)).status).toBe(404);
    expect((await fetchWithEnv(new Request(`${LOCAL}/dev/mailbox.json`), env)).status).toBe(404);
  });
});
