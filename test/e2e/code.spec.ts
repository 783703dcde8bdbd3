import { expect, test } from "@playwright/test";
import { enterCode, mailCount, masked, newestCode, ready } from "./helpers";

const SCREENSHOTS = "test-results/screenshots";

async function requestEmail(page: import("@playwright/test").Page, email: string, javaScriptEnabled: boolean | undefined) {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
}

test("signs in by typing the code from the dev mailbox, after a wrong one", async ({ page, javaScriptEnabled }, info) => {
  const email = `code-${info.project.name}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  const code = await newestCode(page, email);

  await ready(page, javaScriptEnabled);
  await enterCode(page, code === "000000" ? "111111" : "000000", javaScriptEnabled);
  await expect(page.locator("#field-code-error")).toHaveText("That code isn't right — 4 tries left.");
  await expect(page.getByLabel("Sign-in code", { exact: true })).toBeFocused();
  await expect(page).toHaveTitle("Enter your code · Latchkey");
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-7-wrong-code.png`, fullPage: true });

  await ready(page, javaScriptEnabled);
  await enterCode(page, code, javaScriptEnabled);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
});

test("'Send another email' within 30 seconds says an email was just sent and when another can go", async ({ page, javaScriptEnabled }, info) => {
  const email = `limit-${info.project.name}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Send another email" }).click();
  await expect(page.getByRole("status")).toContainText(`We just sent an email to ${masked(email)}.`);
  await expect(page.getByText(/^You can send another in \d+ seconds?\.$/)).toBeVisible();
  await expect(page.getByText("Too many")).toHaveCount(0);
  await expect(page.getByLabel("Sign-in code", { exact: true })).toBeVisible();
  expect(await mailCount(page, email)).toBe(1);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-8-just-sent.png`, fullPage: true });
});
