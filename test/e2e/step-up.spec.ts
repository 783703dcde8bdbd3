import { expect, test } from "@playwright/test";
import { newestMail, ready, signInByEmailCode } from "./helpers";

const SCREENSHOTS = "test-results/screenshots";

// An older session asking to set up 2FA is sent to this address (test/integration/step-up-continues.test.ts
// covers that redirect with an aged session; a browser test can't age one).
const CONFIRM_FOR_SETUP = "/account/confirm?next=%2Faccount%23two-factor&then=setup-2fa";

test("confirming it's you for 'Set up authenticator app' goes straight on into the setup", async ({ page, javaScriptEnabled }, info) => {
  const email = `step-up-${info.project.name}-${Date.now()}@example.com`;
  await signInByEmailCode(page, email, javaScriptEnabled);
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.goto(CONFIRM_FOR_SETUP);
  await ready(page, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Confirm it's you" })).toBeVisible();
  await expect(page.getByText("To set up two-factor authentication, confirm it's you.")).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-step-up-for-setup.png`, fullPage: true });
  await page.getByRole("button", { name: "Email me a code" }).click();
  await expect(page.getByLabel("Confirmation code")).toBeVisible();

  const code = (await newestMail(page, email, /confirmation code/)).text.match(/confirm a security change: (\d{6})/)![1]!;
  await page.getByLabel("Confirmation code").fill(code);
  await page.getByRole("button", { name: "Confirm", exact: true }).click();

  // Not back on the account page with a "now click Set up again": in the setup itself.
  await expect(page).toHaveURL(/\/account\/2fa$/);
  await expect(page.getByRole("heading", { name: "Set up your authenticator app" })).toBeVisible();
  await expect(page.getByTestId("totp-secret")).toHaveText(/^[A-Z2-7 ]+$/);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-step-up-continued-into-setup.png`, fullPage: true });
});
