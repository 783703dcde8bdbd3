import { expect, test, type Page } from "@playwright/test";

// GitHub sign-in against the local stand-in (no GITHUB_CLIENT_ID, APP_URL on localhost): the same
// remix-auth-github code path, with the stand-in's authorize page in place of github.com.
const SCREENSHOTS = "test-results/screenshots";

async function ready(page: Page, javaScriptEnabled: boolean | undefined) {
  if (javaScriptEnabled !== false) await page.waitForFunction(() => "__remixRouter" in window);
}

/** A GitHub user no earlier run has used: the local D1 keeps accounts between runs. */
function uniqueGitHubUser(project: string) {
  const stamp = Date.now().toString(36);
  const login = `e2e-${project === "with-javascript" ? "js" : "nojs"}-${stamp}`;
  return { login, id: String(Date.now()), email: `${login}@example.com` };
}

test("signs in with GitHub, then by email with the same address into the same account", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const person = uniqueGitHubUser(project);

  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await expect(page.getByText("or", { exact: true })).toBeVisible();
  await page.getByRole("link", { name: "Continue with GitHub" }).click();

  await expect(page.getByRole("heading", { name: "Authorize Latchkey" })).toBeVisible();
  await expect(page.getByText("read:user user:email")).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-github-1-stand-in.png`, fullPage: true });
  await page.getByLabel("GitHub login").fill(person.login);
  await page.getByLabel("Name (optional)").fill("E2E Tester");
  await page.getByLabel("Numeric GitHub id").fill(person.id);
  await page.getByLabel("Email 1", { exact: true }).fill(person.email);
  await page.getByRole("button", { name: "Authorize", exact: true }).click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(person.email);
  await expect(page.getByTestId("github-login")).toHaveText(`@${person.login}`);
  const avatar = page.getByRole("img", { name: `GitHub avatar of @${person.login}` });
  await expect(avatar).toBeVisible();
  // The local avatar loaded (a blocked or broken image has no natural width).
  expect(await avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-github-2-dashboard.png`, fullPage: true });

  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signedOut=1$/);

  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await page.getByLabel("Email address").fill(person.email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();

  await page.goto("/dev/mailbox");
  const mail = page.locator("li", { hasText: `To: ${person.email}` }).filter({ hasText: "/auth/verify?token=" });
  await mail.first().getByRole("link", { name: /\/auth\/verify\?token=/ }).click();
  await ready(page, javaScriptEnabled);
  await page.getByRole("button", { name: "Sign in" }).click();

  // Same account: the GitHub identity is still the one linked to it.
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(person.email);
  await expect(page.getByTestId("github-login")).toHaveText(`@${person.login}`);
});

test("says so on the login page when GitHub sign-in is cancelled", async ({ page, javaScriptEnabled }, info) => {
  await page.goto("/login?redirectTo=%2Fdashboard");
  await ready(page, javaScriptEnabled);
  await page.getByRole("link", { name: "Continue with GitHub" }).click();
  await expect(page.getByRole("heading", { name: "Authorize Latchkey" })).toBeVisible();
  await page.getByRole("button", { name: "Cancel" }).click();

  await expect(page).toHaveURL(/\/login\?github=cancelled$/);
  await expect(page.getByRole("alert")).toContainText("GitHub sign-in was cancelled");
  await expect(page.getByLabel("Email address")).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-github-3-cancelled.png`, fullPage: true });
});

test("explains what to do when the GitHub account has no verified email", async ({ page, javaScriptEnabled }) => {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await page.getByRole("link", { name: "Continue with GitHub" }).click();
  await page.getByRole("button", { name: "Authorize as @unverified" }).click();

  await expect(page.getByRole("heading", { name: "Your GitHub account has no verified email" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Open GitHub email settings" })).toHaveAttribute("href", "https://github.com/settings/emails");
});
