import { expect, test, type Page } from "@playwright/test";
import { ready } from "./helpers";

// Google sign-in against the local stand-in (no GOOGLE_CLIENT_ID, APP_URL on localhost): the app's real
// code (code exchange, JWKS, ID token checks, One Tap endpoint) with the stand-in in Google's place.
const SCREENSHOTS = "test-results/screenshots";

/** A Google account no earlier run has used: the local D1 keeps accounts between runs. */
function uniqueGoogleUser(project: string) {
  const stamp = Date.now();
  const name = `e2e-google-${project === "with-javascript" ? "js" : "nojs"}-${stamp.toString(36)}`;
  return { sub: String(stamp), email: `${name}@example.com`, name };
}

async function signOut(page: Page, javaScriptEnabled: boolean | undefined) {
  await page.goto("/dashboard");
  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signedOut=1$/);
}

test("signs in with Google through the redirect flow, and /account lists the Google account", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const person = uniqueGoogleUser(project);

  await page.goto("/login?redirectTo=%2Faccount");
  await ready(page, javaScriptEnabled);
  await page.getByRole("link", { name: "Continue with Google" }).click();

  await expect(page.getByRole("heading", { name: "Choose an account" })).toBeVisible();
  await expect(page.getByText("openid email profile")).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-google-1-stand-in.png`, fullPage: true });
  await page.getByLabel("Google account id (sub)").fill(person.sub);
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Name (optional)").fill(person.name);
  await page.getByLabel("Workspace domain, hd (optional)").fill("example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();

  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId("account-email")).toHaveText(person.email);
  const linked = page.getByTestId("linked-identities");
  await expect(linked).toContainText(`${person.email} (${person.name})`);
  await expect(linked).toContainText("Workspace: example.com");
  await expect(page.getByRole("button", { name: `Unlink Google account ${person.email}` })).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-google-2-account.png`, fullPage: true });

  await signOut(page, javaScriptEnabled);
});

test("says so on the login page when Google sign-in is cancelled", async ({ page, javaScriptEnabled }) => {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await page.getByRole("link", { name: "Continue with Google" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/login\?google=cancelled$/);
  await expect(page.getByRole("alert")).toContainText("Google sign-in was cancelled");
});

test("explains what to do when the Google account's email isn't verified", async ({ page, javaScriptEnabled }) => {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await page.getByRole("link", { name: "Continue with Google" }).click();
  await page.getByRole("button", { name: "Continue as unverified@example.com" }).click();
  await expect(page.getByRole("heading", { name: "Your Google account's email isn't verified" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Start again with Google" })).toBeVisible();
});

test("One Tap: the prompt on the login page signs in with one click, and without JavaScript nothing appears", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  await page.goto("/login?redirectTo=%2Fdashboard");
  const prompt = page.getByRole("dialog", { name: /with Google$/ });
  if (javaScriptEnabled === false) {
    // No script, no prompt: the redirect button is the way in, and the page is otherwise unchanged.
    await page.waitForLoadState("load");
    await expect(prompt).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Continue with Google" })).toBeVisible();
    await page.screenshot({ path: `${SCREENSHOTS}/${project}-google-one-tap-absent.png`, fullPage: true });
    return;
  }
  await ready(page, javaScriptEnabled);
  await expect(prompt).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-google-3-one-tap.png`, fullPage: true });
  await prompt.getByRole("button", { name: /Continue as Ada Lovelace/ }).click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText("ada@example.com");
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-google-4-one-tap-signed-in.png`, fullPage: true });

  // Signed in, the landing page offers no One Tap.
  await page.goto("/");
  await ready(page, javaScriptEnabled);
  await expect(prompt).toHaveCount(0);
  await signOut(page, javaScriptEnabled);
  // Signed out again, the landing page does.
  await page.goto("/");
  await expect(page.getByRole("dialog", { name: /with Google$/ })).toBeVisible();
});

for (const [device, viewport] of [
  ["phone", { width: 375, height: 740 }],
  ["desktop", { width: 1280, height: 800 }],
] as const) {
  test(`the login page shows GitHub and Google (and passkeys) the same way on a ${device}`, async ({ page, javaScriptEnabled }, info) => {
    await page.setViewportSize(viewport);
    await page.goto("/login");
    const github = await page.getByRole("link", { name: "Continue with GitHub" }).boundingBox();
    const google = await page.getByRole("link", { name: "Continue with Google" }).boundingBox();
    const email = await page.getByRole("button", { name: "Email me a sign-in link" }).boundingBox();
    expect(github!.width).toBeGreaterThan(200);
    expect(google!.width).toBe(github!.width);
    expect(google!.height).toBe(github!.height);
    expect(google!.x).toBe(github!.x);
    expect(email!.width).toBe(github!.width);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // With JavaScript the passkey button joins them, in the same shape.
    if (javaScriptEnabled !== false) {
      const passkey = page.getByRole("button", { name: "Sign in with a passkey" });
      await expect(passkey).toBeVisible();
      const box = await passkey.boundingBox();
      expect([box!.x, box!.width, box!.height]).toEqual([github!.x, github!.width, github!.height]);
    }
    // Every mark is drawn inline (no image requests, nothing for the CSP to block).
    await expect(page.locator(".provider-button svg")).toHaveCount(javaScriptEnabled === false ? 2 : 3);
    await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-login-providers-${device}.png`, fullPage: true });
  });
}
