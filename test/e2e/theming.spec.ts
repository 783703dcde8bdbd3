import { expect, test } from "@playwright/test";
import { BRAND, brandedBaseUrl } from "./branding";

// These run against the second e2e server, started with a team's BRAND_* vars (playwright.config.ts).
test.use({ baseURL: brandedBaseUrl() });

test("a deployment branded by configuration shows its name, logo, colour, support address and legal links", async ({ page, javaScriptEnabled }, info) => {
  await page.goto("/login");
  await expect(page).toHaveTitle(new RegExp(BRAND.BRAND_NAME));
  const brand = page.locator("header .brand");
  await expect(brand).toHaveText(BRAND.BRAND_NAME);
  await expect(brand.locator("img")).toHaveAttribute("src", BRAND.BRAND_LOGO_URL);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(BRAND.BRAND_NAME);
  await expect(page.getByRole("heading", { level: 1 })).not.toContainText("Latchkey");

  // The accent colour (rgb of #0f766e) on the primary button, with readable white text on it.
  const button = page.getByRole("button", { name: "Email me a sign-in link" });
  await expect(button).toHaveCSS("background-color", "rgb(15, 118, 110)");
  await expect(button).toHaveCSS("color", "rgb(255, 255, 255)");

  const footer = page.locator("footer");
  await expect(footer.getByRole("link", { name: BRAND.SUPPORT_EMAIL })).toHaveAttribute("href", `mailto:${BRAND.SUPPORT_EMAIL}`);
  await expect(footer.getByRole("link", { name: "Terms" })).toHaveAttribute("href", BRAND.LEGAL_TERMS_URL);
  await expect(footer.getByRole("link", { name: "Privacy" })).toHaveAttribute("href", BRAND.LEGAL_PRIVACY_URL);
  await page.screenshot({ path: `test-results/screenshots/${info.project.name}-branded-login.png`, fullPage: true });

  // The email carries the same brand: name in the subject, accent on its button, support and legal lines.
  const email = `brand-${info.project.name}-${Date.now()}@example.com`;
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  const mails = (await (await page.request.get("/dev/mailbox.json")).json()) as { to: string; subject: string; text: string; html: string }[];
  const mail = mails.find((m) => m.to === email)!;
  expect(mail.subject).toBe(`Your ${BRAND.BRAND_NAME} sign-in link`);
  expect(mail.html).toContain(`background:${BRAND.BRAND_ACCENT_COLOR}`);
  expect(mail.html).toContain(`alt="${BRAND.BRAND_NAME}"`);
  expect(mail.text).toContain(`Questions? Write to ${BRAND.SUPPORT_EMAIL}.`);
  expect(mail.text).toContain(`Terms: ${BRAND.LEGAL_TERMS_URL}`);
  if (javaScriptEnabled !== false) {
    await page.goto("/dev/mailbox");
    await page.screenshot({ path: `test-results/screenshots/${info.project.name}-branded-email.png`, fullPage: true });
  }
});
