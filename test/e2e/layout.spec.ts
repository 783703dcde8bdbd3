import { expect, test, type Page } from "@playwright/test";
import { signInByEmailCode } from "./helpers";

const SCREENSHOTS = "test-results/screenshots";

test("looks finished on a phone", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  for (const [name, path] of [["home", "/"], ["login", "/login"], ["not-found", "/nope"]] as const) {
    await page.goto(path);
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SCREENSHOTS}/mobile-${name}.png`, fullPage: true });
  }
});

async function expectNoSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test("account pages fit on a phone", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signInByEmailCode(page, `layout-${Date.now()}@example.com`, true);
  await expect(page).toHaveURL(/\/dashboard$/);
  for (const [name, path] of [["dashboard", "/dashboard"], ["account", "/account"], ["delete", "/account/delete"]] as const) {
    await page.goto(path);
    await expectNoSidewaysScroll(page);
    await page.screenshot({ path: `${SCREENSHOTS}/mobile-${name}.png`, fullPage: true });
  }
  await page.goto("/account");
  await page.waitForFunction(() => "__remixRouter" in window);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page.getByRole("img", { name: "QR code with your authenticator secret" })).toBeVisible();
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: `${SCREENSHOTS}/mobile-2fa-setup.png`, fullPage: true });
});
