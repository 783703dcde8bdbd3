import { expect, test, type Browser } from "@playwright/test";
import { ready, signInByEmailCode } from "./helpers";
import { awayFromStepBoundary, currentStep, totp, waitForStepAfter } from "../helpers/totp";

const SCREENSHOTS = "test-results/screenshots";

async function newPage(browser: Browser, javaScriptEnabled: boolean | undefined) {
  const context = await browser.newContext({ javaScriptEnabled: javaScriptEnabled !== false });
  return context.newPage();
}

test("turns on 2FA, signs in again with email + authenticator code, and signs out another session", async ({
  page,
  browser,
  javaScriptEnabled,
}, info) => {
  test.setTimeout(120_000);
  const email = `twofa-${info.project.name}-${Date.now()}@example.com`;
  await signInByEmailCode(page, email, javaScriptEnabled);
  await expect(page).toHaveURL(/\/dashboard$/);

  // Enroll.
  // Through the header's account menu.
  await ready(page, javaScriptEnabled);
  await page.getByLabel(`Account menu for ${email}`).click();
  await page.getByRole("link", { name: "Account & security" }).click();
  await expect(page.getByRole("heading", { name: "Account & security" })).toBeVisible();
  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page.getByRole("heading", { name: "Set up your authenticator app" })).toBeVisible();
  await expect(page.getByRole("img", { name: "QR code with your authenticator secret" })).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-20-2fa-setup.png`, fullPage: true });
  const secret = (await page.getByTestId("totp-secret").textContent())!;
  await awayFromStepBoundary(5000);
  await ready(page, javaScriptEnabled);
  const enrolledAt = Date.now();
  await page.getByLabel("Enter the 6-digit code the app shows").fill(await totp(secret, enrolledAt));
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  await expect(page.getByRole("heading", { name: "Two-factor authentication is on" })).toBeVisible();
  const codes = await page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents();
  expect(codes).toHaveLength(10);
  await expect(page.getByRole("link", { name: "Download .txt" })).toHaveAttribute("download", "latchkey-recovery-codes.txt");
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-21-recovery-codes.png`, fullPage: true });
  await page.getByRole("link", { name: "I've saved them" }).click();
  await expect(page.getByText("Signing in asks for a code from your authenticator app")).toBeVisible();

  // Sign out, then sign in again: the email code alone isn't enough.
  await page.goto("/dashboard");
  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).not.toHaveURL(/\/dashboard$/);
  await signInByEmailCode(page, email, javaScriptEnabled);
  await expect(page).toHaveURL(/\/auth\/2fa$/);
  await expect(page.getByRole("heading", { name: "Two-factor authentication" })).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-22-2fa-step.png`, fullPage: true });
  await ready(page, javaScriptEnabled);
  // The step used to enroll can't sign in again (no replays): wait for the next one, as the app would show.
  await waitForStepAfter(currentStep(enrolledAt));
  await awayFromStepBoundary();
  await page.getByLabel("Authenticator code").fill(await totp(secret));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);

  // A second browser signs in with a recovery code…
  const other = await newPage(browser, javaScriptEnabled);
  await signInByEmailCode(other, email, javaScriptEnabled);
  await expect(other).toHaveURL(/\/auth\/2fa$/);
  await other.getByText("Lost your phone? Use a recovery code").click();
  await ready(other, javaScriptEnabled);
  await other.getByLabel("Recovery code").fill(codes[0]!);
  await other.getByRole("button", { name: "Use recovery code" }).click();
  await expect(other).toHaveURL(/\/dashboard$/);

  // …and the first one signs it out from the account page.
  await page.goto("/account");
  await ready(page, javaScriptEnabled);
  const sessions = page.getByTestId("session");
  await expect(sessions).toHaveCount(2);
  await expect(sessions.first()).toContainText("This device");
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-23-account.png`, fullPage: true });
  await sessions.nth(1).getByRole("button", { name: /^Sign out / }).click();
  await expect(page.getByRole("status")).toHaveText("That session was signed out.");
  await expect(page.getByTestId("session")).toHaveCount(1);
  await other.goto("/dashboard");
  await expect(other).toHaveURL(/\/login\?redirectTo=%2Fdashboard$/);
  await other.context().close();
});
