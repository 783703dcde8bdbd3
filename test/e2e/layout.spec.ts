import { expect, test } from "@playwright/test";

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
