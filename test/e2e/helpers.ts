/** Steps shared by the browser tests: waiting for hydration, reading the dev mailbox, signing in. */
import { expect, type Page } from "@playwright/test";

export async function ready(page: Page, javaScriptEnabled: boolean | undefined) {
  if (javaScriptEnabled !== false) await page.waitForFunction(() => "__remixRouter" in window);
}

export async function newestMail(page: Page, email: string, subject: RegExp) {
  const mails = (await (await page.request.get("/dev/mailbox.json")).json()) as { to: string; subject: string; text: string }[];
  const mail = mails.find((m) => m.to === email && subject.test(m.subject));
  if (!mail) throw new Error(`no "${subject}" mail to ${email}`);
  return mail;
}

/**
 * The email half of signing in: request the email, type its code. One address gets one email per 30
 * seconds; like a person would, wait as long as the page says and ask again.
 */
export async function signInByEmailCode(page: Page, email: string, javaScriptEnabled: boolean | undefined) {
  for (;;) {
    await page.goto("/login");
    await ready(page, javaScriptEnabled);
    await page.getByLabel("Email address").fill(email);
    await page.getByRole("button", { name: "Email me a sign-in link" }).click();
    const sent = page.getByRole("heading", { name: "Check your email" });
    const wait = page.getByRole("alert").filter({ hasText: /try again in \d+ seconds?/ });
    await expect(sent.or(wait)).toBeVisible();
    if (await sent.isVisible()) break;
    const seconds = Number((await wait.textContent())!.match(/try again in (\d+) second/)![1]);
    await page.waitForTimeout((seconds + 1) * 1000);
  }
  const code = (await newestMail(page, email, /sign-in link/)).text.match(/code on the sign-in page: (\d{6})/)![1]!;
  await ready(page, javaScriptEnabled);
  await page.getByLabel("Sign-in code", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Sign in with code" }).click();
}
