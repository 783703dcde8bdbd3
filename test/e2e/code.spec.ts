import { expect, test, type Page } from "@playwright/test";

const SCREENSHOTS = "test-results/screenshots";

async function ready(page: Page, javaScriptEnabled: boolean | undefined) {
  if (javaScriptEnabled !== false) await page.waitForFunction(() => "__remixRouter" in window);
}

async function requestEmail(page: Page, email: string, javaScriptEnabled: boolean | undefined) {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
}

test("signs in by typing the code from the dev mailbox", async ({ page, javaScriptEnabled }, info) => {
  const email = `code-${info.project.name}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();

  const mails = (await (await page.request.get("/dev/mailbox.json")).json()) as { to: string; text: string }[];
  const code = mails.find((m) => m.to === email)!.text.match(/code on the sign-in page: (\d{6})/)![1]!;

  const field = page.getByLabel("Sign-in code", { exact: true });
  await field.fill(code === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Sign in with code" }).click();
  await expect(page.locator("#field-code-error")).toHaveText("That code isn't right — 4 tries left.");
  await expect(page.getByLabel("Sign-in code", { exact: true })).toBeFocused();
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-7-wrong-code.png`, fullPage: true });

  await ready(page, javaScriptEnabled);
  await page.getByLabel("Sign-in code", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Sign in with code" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
});

test("says in words when a second email can be sent", async ({ page, javaScriptEnabled }, info) => {
  const email = `limit-${info.project.name}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Send another email" }).click();
  await expect(page.getByRole("alert")).toHaveText(/Too many sign-in emails were requested\. Please try again in \d+ seconds?\./);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-8-rate-limited.png`, fullPage: true });
});
