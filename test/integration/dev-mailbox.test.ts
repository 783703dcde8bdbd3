import { describe, expect, it } from "vitest";
import { fetchWithEnv, get, post, SELF_URL_HOST } from "../helpers/app";

const LOCAL = "http://localhost:8787";
/** What `npm run dev` runs with: APP_URL on this machine and the outbox. */
const LOCAL_ENV = { APP_URL: LOCAL, EMAIL_PROVIDER: "outbox" };

function openLocally(path: string, env: Record<string, unknown> = LOCAL_ENV) {
  return fetchWithEnv(new Request(`${LOCAL}${path}`, { headers: { Host: "localhost:8787" } }), env);
}

/** The srcdoc attribute of the first HTML preview, as the browser will read it. */
function srcdocIn(page: string): string {
  const match = /<iframe[^>]*\ssrcDoc="([^"]*)"|<iframe[^>]*\ssrcdoc="([^"]*)"/.exec(page);
  if (!match) throw new Error("no iframe with srcdoc in the page");
  return (match[1] ?? match[2]!)
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
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
    expect(html).toContain("To: ada@example.com");
    expect(html).toMatch(/<a href="https:\/\/latchkey\.test\/auth\/verify\?token=[A-Za-z0-9_-]+">/);
  });

  it("shows the HTML part in a sandboxed srcdoc frame that may run no script and load nothing", async () => {
    await post("/login", { email: "ada@example.com" });
    const page = await (await openLocally("/dev/mailbox")).text();
    const iframe = /<iframe[^>]*>/.exec(page)?.[0] ?? "";
    // An empty-token sandbox but for popups: no scripts, no same-origin, no forms, no top navigation.
    expect(iframe).toMatch(/\ssandbox="allow-popups allow-popups-to-escape-sandbox"/);
    expect(iframe).toMatch(/\stitle="HTML part of “Your Latchkey sign-in link”"/);
    const srcdoc = srcdocIn(page);
    expect(srcdoc).toMatch(
      /^<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">/,
    );
    expect(srcdoc).toContain('<base target="_blank">');
    expect(srcdoc).toMatch(/<a href="https:\/\/latchkey\.test\/auth\/verify\?token=[A-Za-z0-9_-]+" style=/);
  });

  it("lets the mail's own styles apply in the preview, and nothing else inline, on the mailbox page only", async () => {
    await post("/login", { email: "ada@example.com" });
    const csp = (await openLocally("/dev/mailbox")).headers.get("Content-Security-Policy") ?? "";
    // A srcdoc frame inherits its page's policy, so the page must allow inline styles for the preview.
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+'(;|$)/);
    const login = (await openLocally("/login")).headers.get("Content-Security-Policy") ?? "";
    expect(login).toMatch(/style-src 'self'(;|$)/);
  });

  it("keeps a mail's markup inside the frame: a closing quote or tag in the mail can't break out", async () => {
    await post("/login", { email: "ada@example.com" });
    const page = await (await openLocally("/dev/mailbox")).text();
    // The page around the frame is React's markup; the mail only ever appears escaped in srcdoc.
    expect(page).not.toMatch(/<table role="presentation"/);
    expect(srcdocIn(page)).toContain('<table role="presentation"');
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
