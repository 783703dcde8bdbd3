/**
 * Signing out from the header's account menu, and being sent to sign in by a protected page (issue 16),
 * with and without JavaScript.
 */
import { expect, test } from "@playwright/test";
import { enterCode, newestCode, ready, signInByEmailCode } from "./helpers";

const SCREENSHOTS = "test-results/screenshots";

test("signs out from the header's account menu and says so", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `menu-${project}-${Date.now()}@example.com`;
  await signInByEmailCode(page, email, javaScriptEnabled);
  await expect(page).toHaveURL(/\/dashboard$/);
  await ready(page, javaScriptEnabled);

  const menu = page.getByLabel(`Account menu for ${email}`);
  await expect(menu).toContainText(email);
  await menu.click();
  const panel = page.locator(".account-menu-panel");
  await expect(panel.getByRole("link", { name: "Dashboard" })).toBeVisible();
  await expect(panel.getByRole("link", { name: "Account & security" })).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-menu-1-open.png`, fullPage: true });

  await panel.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signedOut=1$/);
  await expect(page.getByRole("status")).toHaveText("You're signed out on this device.");
  await expect(page.getByLabel(`Account menu for ${email}`)).toHaveCount(0);
  await expect(page).toHaveTitle("Sign in · Latchkey");
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-menu-2-signed-out.png`, fullPage: true });

  // Signed out on the server too: the dashboard sends the browser to sign in.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fdashboard$/);
  await expect(page.getByRole("heading", { name: "Sign in to continue to your dashboard" })).toBeVisible();
});

test("a protected page sends you to 'Sign in to continue to …' and back there after signing in", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `continue-${project}-${Date.now()}@example.com`;
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Faccount$/);
  await expect(page.getByRole("heading", { name: "Sign in to continue to your account settings" })).toBeVisible();
  await expect(page.getByText("You're signed out")).toHaveCount(0);
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-continue-1-login.png`, fullPage: true });

  await ready(page, javaScriptEnabled);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  // "Use a different email" goes back to the same sign-in page, destination kept.
  await expect(page.getByRole("link", { name: "Use a different email" })).toHaveAttribute("href", "/login?redirectTo=%2Faccount");
  await ready(page, javaScriptEnabled);
  await enterCode(page, await newestCode(page, email), javaScriptEnabled);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Account & security" })).toBeVisible();
});
