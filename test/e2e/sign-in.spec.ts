import { expect, test, type Page } from "@playwright/test";
import { masked } from "./helpers";

const SCREENSHOTS = "test-results/screenshots";

/** With JavaScript on, wait until Remix has hydrated so clicks go through its router. */
async function ready(page: Page, javaScriptEnabled: boolean | undefined) {
  if (javaScriptEnabled !== false) await page.waitForFunction(() => "__remixRouter" in window);
}

async function shot(page: Page, name: string, project: string) {
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-${name}.png`, fullPage: true });
}

test("signs in through the dev mailbox link, sees the dashboard, and signs out", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `e2e-${project}-${Date.now()}@example.com`;

  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fdashboard$/);
  await ready(page, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Sign in to continue to your dashboard" })).toBeVisible();
  await shot(page, "1-login", project);

  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  // Post/Redirect/Get: the page has its own URL, without the address, and shows it masked.
  await expect(page).toHaveURL(/\/login\/sent$/);
  await expect(page.getByRole("status")).toContainText(`We sent a sign-in link and code to ${masked(email)}`);
  await expect(page).toHaveTitle("Check your email · Latchkey");
  await shot(page, "2-check-email", project);

  await page.goto("/dev/mailbox");
  const mail = page.locator("li", { hasText: `To: ${email}` });
  await expect(mail).toHaveCount(1);
  await shot(page, "3-mailbox", project);
  await mail.getByRole("link", { name: /\/auth\/verify\?token=/ }).click();

  await expect(page.getByRole("heading", { name: /^Sign in as e…@example\.com\?$/ })).toBeVisible();
  await ready(page, javaScriptEnabled);
  await shot(page, "4-confirm", project);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
  await shot(page, "5-dashboard", project);

  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signedOut=1$/);
  await expect(page.getByRole("status")).toHaveText("You're signed out on this device.");
  await expect(page.getByRole("heading", { name: "Sign in to Latchkey" })).toBeVisible();

  // The session is gone on the server, not just hidden: the dashboard asks to sign in again.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fdashboard$/);
});

test("shows a malformed email's error next to the field and focuses it", async ({ page, javaScriptEnabled }, info) => {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  const field = page.getByLabel("Email address");
  await field.fill("not-an-email");
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();

  const error = page.locator("#field-email-error");
  await expect(error).toHaveText(/Enter an email address like name@example\.com\./);
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(field).toHaveAttribute("aria-describedby", "field-email-error");
  await expect(field).toBeFocused();
  await shot(page, "6-login-error", info.project.name);
});
