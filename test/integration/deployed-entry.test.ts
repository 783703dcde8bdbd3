/**
 * The deployed entry (app/worker.ts, wrangler.toml `main`) against the local one (app/dev/worker.ts):
 * only the local entry has the dev tools, so a deployment can't serve them whatever its settings say
 * (LOG-2: sign-in links never kept or shown outside this machine). The bundle test in test/scripts/
 * checks the same from the other side: the deployable bundle doesn't even contain them.
 */
import { describe, expect, it } from "vitest";
import deployed from "~/worker";
import local from "~/dev/worker";
import { count, fetchWithEnv, post } from "../helpers/app";
import { expectConsoleErrors } from "../setup";

const LOCAL = "http://localhost:8787";
/** Everything the dev tools need to answer: APP_URL on this machine, no GitHub or Google credentials. */
const ON_THIS_MACHINE = { APP_URL: LOCAL };
/** The deployed entry has no outbox, so there it runs with a real provider. */
const WITH_REAL_MAIL = { ...ON_THIS_MACHINE, EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_test" };

function openLocally(entry: typeof local, path: string, env: Record<string, unknown>) {
  return fetchWithEnv(new Request(`${LOCAL}${path}`, { headers: { Host: "localhost:8787" } }), env, entry);
}

/** Each dev tool's page and what only that tool says on it. */
const DEV_TOOLS = [
  ["/dev/github/login/oauth/authorize", "GitHub stand-in"],
  ["/dev/google/o/oauth2/v2/auth", "Google stand-in"],
  ["/dev/rp", "Demo app"],
  ["/dev/mailbox", "Dev mailbox"],
  ["/dev/mailbox.json", "[]"],
] as const;

describe("the deployed entry", () => {
  it.each(DEV_TOOLS)("answers %s with the app's 404 page, on this machine and with real mail", async (path, marker) => {
    const response = await openLocally(deployed, path, WITH_REAL_MAIL);
    expect(response.status).toBe(404);
    // (The page's own inline scripts may hold "[]"; the marker must not be in what the page shows.)
    expect((await response.text()).replace(/<script[\s\S]*?<\/script>/g, "")).not.toContain(marker);
  });

  it.each(DEV_TOOLS)("differs there from the local entry, which serves %s", async (path, marker) => {
    const response = await openLocally(local, path, { ...ON_THIS_MACHINE, EMAIL_PROVIDER: "outbox" });
    expect(response.status).not.toBe(404);
    expect(await response.text()).toContain(marker);
  });

  it("says on the configuration page that it has no outbox, instead of failing at the first email", async () => {
    expectConsoleErrors();
    const env = { ...ON_THIS_MACHINE, EMAIL_PROVIDER: "outbox" };
    const page = await openLocally(deployed, "/login", env);
    expect(page.status).toBe(503);
    const html = (await page.text()).replaceAll("&#39;", "'");
    expect(html).toContain("Latchkey isn't configured yet");
    expect(html).toContain("EMAIL_PROVIDER is outbox, but this Worker was built without the outbox");
    expect(html).toContain("Set EMAIL_PROVIDER to resend, postmark or cloudflare, or run Latchkey locally with npm run dev");
    // /healthz stays honest about it, like about any other missing setting.
    expect((await openLocally(deployed, "/healthz", env)).status).toBe(503);
  });

  it("sends no sign-in email into D1 when configured with the outbox", async () => {
    expectConsoleErrors();
    const request = new Request(`${LOCAL}/login`, {
      method: "POST",
      headers: { Host: "localhost:8787", Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded" },
      body: "email=ada%40example.com",
    });
    const response = await fetchWithEnv(request, { ...ON_THIS_MACHINE, EMAIL_PROVIDER: "outbox" }, deployed);
    expect(response.status).toBe(503);
    expect(await count("outbox_messages")).toBe(0);
    // The local entry, same request, same settings: the mail is in the outbox.
    await post("/login", { email: "ada@example.com" });
    expect(await count("outbox_messages")).toBe(1);
  });

  it("never reports D1 round trips, even when asked to", async () => {
    const asked = { ...WITH_REAL_MAIL, BENCH_COUNT_QUERIES: "true" };
    expect((await openLocally(deployed, "/healthz", asked)).headers.get("X-D1-Queries")).toBeNull();
    expect((await openLocally(local, "/healthz", asked)).headers.get("X-D1-Queries")).toBe("1");
  });
});
