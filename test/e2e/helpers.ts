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
 * Types a 6-digit code into `label`'s field. With JavaScript the sixth digit submits the form (issue 16),
 * so there is nothing to click; without it, the button is the way.
 */
export async function enterCode(page: Page, code: string, javaScriptEnabled: boolean | undefined, label = "Sign-in code", button = "Sign in with code") {
  await page.getByLabel(label, { exact: true }).fill(code);
  if (javaScriptEnabled === false) await page.getByRole("button", { name: button }).click();
}

/** The 6-digit code in the newest sign-in email to `email`. */
export async function newestCode(page: Page, email: string): Promise<string> {
  return (await newestMail(page, email, /sign-in link/)).text.match(/code on the sign-in page: (\d{6})/)![1]!;
}

/**
 * The email half of signing in: request the email, type its code. One address gets one email per 30
 * seconds; within them the page says "We just sent an email" (its code may be used already, so wait as
 * long as the page says and send another, as a person would).
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
  const justSent = page.getByRole("status").filter({ hasText: "We just sent an email to" });
  if (await justSent.isVisible()) {
    const next = (await page.getByText(/You can send another in \d+ seconds?\./).textContent())!;
    await page.waitForTimeout((Number(next.match(/in (\d+) second/)![1]) + 1) * 1000);
    await ready(page, javaScriptEnabled);
    await page.getByRole("button", { name: "Send another email" }).click();
    await expect(page.getByRole("status")).toContainText("We sent a sign-in link and code to");
  }
  const code = await newestCode(page, email);
  await ready(page, javaScriptEnabled);
  await enterCode(page, code, javaScriptEnabled);
}

/** Reads how many emails the dev mailbox holds for `email`. */
export async function mailCount(page: Page, email: string): Promise<number> {
  const mails = (await (await page.request.get("/dev/mailbox.json")).json()) as { to: string }[];
  return mails.filter((m) => m.to === email).length;
}

/** The masked form of an address the pages show ("a…@example.com"). */
export function masked(email: string): string {
  return `${email[0]}…${email.slice(email.lastIndexOf("@"))}`;
}
