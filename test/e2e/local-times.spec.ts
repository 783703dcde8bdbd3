import { expect, test } from "@playwright/test";
import { signInByEmailCode } from "./helpers";

// Kolkata is UTC+5:30, so a time shown there can't match the UTC text by accident.
test.use({ timezoneId: "Asia/Kolkata", locale: "en-IN" });

test("shows times in the reader's own zone and locale, with the exact instant in <time datetime>", async ({ page, javaScriptEnabled }, info) => {
  const email = `times-${info.project.name}-${Date.now()}@example.com`;
  await signInByEmailCode(page, email, javaScriptEnabled);
  await expect(page).toHaveURL(/\/dashboard$/);

  const signedInAt = page.locator("dt", { hasText: "Signed in" }).locator("+ dd time");
  const instant = (await signedInAt.getAttribute("datetime"))!;
  expect(instant).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const utc = `${new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(new Date(instant))} UTC`;
  const local = new Intl.DateTimeFormat("en-IN", { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Kolkata" }).format(new Date(instant));

  // Without JavaScript the server's UTC text stays (labelled, so still true); with it, the reader's zone.
  await expect(signedInAt).toHaveText(javaScriptEnabled === false ? utc : local);
  await expect(signedInAt).toHaveAttribute("title", utc);
  await page.screenshot({ path: `test-results/screenshots/${info.project.name}-dashboard-local-times.png`, fullPage: true });
});
