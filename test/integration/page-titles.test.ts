/** Every page's title says what the page is, then the product's name (BRAND_NAME when a team sets one). */
import { describe, expect, it } from "vitest";
import { fetchWithEnv, get, url } from "../helpers/app";
import { Browser, enrollAuthenticator } from "../helpers/browser";

const titleOf = async (response: Response) => (await response.text()).match(/<title>([^<]*)<\/title>/)?.[1]?.replaceAll("&#x27;", "'");

describe("page titles", () => {
  it.each([
    ["/nope", "Page not found · Latchkey"],
    ["/auth/verify?token=not-a-real-token", "This sign-in link isn't valid · Latchkey"],
    ["/login", "Sign in · Latchkey"],
  ])("%s is titled %j", async (path, title) => {
    expect(await titleOf(await get(path))).toBe(title);
  });

  it("titles check-your-email, the dashboard and new recovery codes by what they show", async () => {
    const browser = new Browser();
    await browser.signInWithEmail("ada@example.com");
    expect(await titleOf(await browser.get("/dashboard"))).toBe("Dashboard · Latchkey");
    const { html } = await enrollAuthenticator(browser);
    expect(html).toContain("<title>Set up two-factor authentication · Latchkey</title>");
    expect(await titleOf(await browser.get("/account/recovery-codes"))).toBe("New recovery codes · Latchkey");

    const visitor = new Browser();
    await visitor.post("/login", { email: "grace@example.com" });
    expect(await titleOf(await visitor.get("/login/sent"))).toBe("Check your email · Latchkey");
  });

  it("uses the team's product name, on error pages too", async () => {
    // BRAND_* are optional vars, absent from wrangler.toml and so from the generated Env type.
    const branded = { BRAND_NAME: "Acme ID" } as unknown as Partial<Record<keyof Env, unknown>>;
    expect(await titleOf(await fetchWithEnv(new Request(url("/nope")), branded))).toBe("Page not found · Acme ID");
    expect(await titleOf(await fetchWithEnv(new Request(url("/auth/verify?token=x")), branded))).toBe("This sign-in link isn't valid · Acme ID");
  });
});
