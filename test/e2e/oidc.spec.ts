import { expect, test } from "@playwright/test";
import { enterCode, newestMail, ready } from "./helpers";

// "Sign in with Latchkey" through the demo relying party at /dev/rp (client latchkey-demo, seeded by
// scripts/local-setup.mjs for this port): the whole OpenID Connect flow in a real browser, with and
// without JavaScript.
const SCREENSHOTS = "test-results/screenshots";

test("a demo app signs a person in through Latchkey, refreshes, loses access when it is revoked, and signs out", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `e2e-oidc-${project === "with-javascript" ? "js" : "nojs"}-${Date.now().toString(36)}@example.com`;

  await page.goto("/dev/rp");
  await page.getByRole("link", { name: "Sign in with Latchkey" }).click();

  // Not signed in to Latchkey: its sign-in page, remembering where to go back to.
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Foauth%2Fauthorize%3Fresume%3D/);
  await ready(page, javaScriptEnabled);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  const code = (await newestMail(page, email, /sign-in link/)).text.match(/code on the sign-in page: (\d{6})/)![1]!;
  await ready(page, javaScriptEnabled);
  await enterCode(page, code, javaScriptEnabled);

  // Back at the demo app with a verified ID token and a live userinfo answer.
  await expect(page).toHaveURL(/\/dev\/rp$/);
  await expect(page.getByTestId("rp-user")).toHaveText(email);
  await expect(page.getByTestId("id-token-claims")).toContainText('"email"');
  await expect(page.getByTestId("id-token-claims")).toContainText('["email","otp"]');
  await expect(page.getByTestId("userinfo")).toContainText(`"${email}"`);
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-oidc-1-signed-in.png`, fullPage: true });

  await page.getByRole("button", { name: "Refresh tokens" }).click();
  await expect(page.getByTestId("userinfo")).toContainText(`"${email}"`);

  // The account page lists the app; revoking its access shows in the app at once (its userinfo call fails).
  await page.goto("/account");
  await ready(page, javaScriptEnabled);
  const app = page.getByTestId("connected-app").filter({ hasText: "Latchkey demo app" });
  await expect(app).toContainText("Can see your email address");
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-oidc-2-account-apps.png`, fullPage: true });
  await app.getByRole("button", { name: "Revoke access for Latchkey demo app" }).click();
  await expect(page.getByText("That app's access is revoked")).toBeVisible();
  await page.goto("/dev/rp");
  await expect(page.getByTestId("userinfo-error")).toContainText("401");

  // RP-initiated logout: Latchkey asks, signs out, and sends the browser back.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign out of Latchkey?" })).toBeVisible();
  await expect(page.getByText("Latchkey demo app signed you out")).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-oidc-3-logout.png`, fullPage: true });
  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in with Latchkey" })).toBeVisible();
  await expect(page).toHaveURL(/\/dev\/rp\?state=/);

  // Signed out of Latchkey too: the dashboard asks to sign in.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login/);
});
