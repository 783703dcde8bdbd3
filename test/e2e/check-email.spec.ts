/**
 * "Check your email" as Post/Redirect/Get (issue 16), with and without JavaScript: reload, back and
 * forward show the same page without sending again; asking again within 30 seconds says an email was
 * just sent and keeps its code box; a burned code shows only the way forward; the code field is focused
 * and, with JavaScript, the sixth digit submits.
 */
import { expect, test, type Page } from "@playwright/test";
import { enterCode, mailCount, masked, newestCode, ready } from "./helpers";

const SCREENSHOTS = "test-results/screenshots";

async function requestEmail(page: Page, email: string, javaScriptEnabled: boolean | undefined) {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
}

async function expectCheckEmailPage(page: Page, email: string) {
  await expect(page).toHaveURL(/\/login\/sent$/);
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText(`We sent a sign-in link and code to ${masked(email)}.`);
  await expect(page.getByLabel("Sign-in code", { exact: true })).toBeVisible();
  await expect(page.getByText(/Too many/)).toHaveCount(0);
}

test("reload, back and forward show the same check-your-email page, and send nothing", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `prg-${project}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  await expectCheckEmailPage(page, email);
  // The address is never in the URL: it is in a signed cookie.
  expect(page.url()).not.toContain(encodeURIComponent(email));
  expect(page.url()).not.toContain(email);
  expect(await mailCount(page, email)).toBe(1);
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-prg-1-check-email.png`, fullPage: true });

  // Sign-in forms sent from here on (the login page's passkey script fetches its options: not a form).
  const posts: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (request.method() === "POST" && path.startsWith("/login")) posts.push(path);
  });

  await page.reload();
  await ready(page, javaScriptEnabled);
  await expectCheckEmailPage(page, email);
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-prg-2-reloaded.png`, fullPage: true });

  await page.goBack();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in to Latchkey" })).toBeVisible();

  await page.goForward();
  await ready(page, javaScriptEnabled);
  await expectCheckEmailPage(page, email);

  expect(posts, "no form was sent again").toEqual([]);
  expect(await mailCount(page, email)).toBe(1);
});

test("signing in again within 30 seconds says an email was just sent, and its code still signs in", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `again-${project}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  const code = await newestCode(page, email);

  // Back to the sign-in page, the same address again, moments later.
  await requestEmail(page, email, javaScriptEnabled);
  await expect(page).toHaveURL(/\/login\/sent$/);
  await expect(page.getByRole("status")).toContainText(`We just sent an email to ${masked(email)}.`);
  await expect(page.getByText("It can take a minute to arrive.")).toBeVisible();
  await expect(page.getByText(/^You can send another in ([1-9]|[12]\d|30) seconds?\.$/)).toBeVisible();
  await expect(page.getByText(/Too many/)).toHaveCount(0);
  expect(await mailCount(page, email)).toBe(1);
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-prg-3-just-sent.png`, fullPage: true });

  // The code box is for the email already sent.
  await ready(page, javaScriptEnabled);
  await enterCode(page, code, javaScriptEnabled);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
});

test("a code burned by wrong tries shows only the way forward", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `burned-${project}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  const code = await newestCode(page, email);
  const wrong = ["000001", "000002", "000003", "000004", "000005", "000006"].filter((c) => c !== code).slice(0, 5);

  // With JavaScript each sixth digit submits, on the same form after the first wrong code too.
  for (const [i, guess] of wrong.entries()) {
    await ready(page, javaScriptEnabled);
    await enterCode(page, guess, javaScriptEnabled);
    if (i < 4) await expect(page.locator("#field-code-error")).toHaveText(`That code isn't right — ${4 - i} ${4 - i === 1 ? "try" : "tries"} left.`);
  }
  await expect(page.getByRole("heading", { name: "Send a new email" })).toBeVisible();
  await expect(page.getByRole("alert")).toHaveText("Too many wrong tries: that code no longer works. Send a new email to get a fresh one.");
  // No code box and no "Sign in with code": the one thing to do is send a new email.
  await expect(page.getByLabel("Sign-in code", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Sign in with code" })).toHaveCount(0);
  const sendNew = page.getByRole("button", { name: "Send a new email" });
  await expect(sendNew).toBeVisible();
  await expect(sendNew).not.toHaveClass(/secondary/);
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-prg-4-burned-code.png`, fullPage: true });

  await ready(page, javaScriptEnabled);
  await sendNew.click();
  // Within 30 seconds of that email no new one goes out yet, and there is no box for the spent code:
  // the page says so, and when another can be sent.
  await expect(page).toHaveURL(/\/login\/sent$/);
  await expect(page.getByRole("heading", { name: "Send a new email" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("The code from the last email can't be used any more.");
  await expect(page.getByLabel("Sign-in code", { exact: true })).toHaveCount(0);
  await expect(page.getByText(/You can send another in \d+ seconds?\./)).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-prg-5-spent-code-wait.png`, fullPage: true });
});

test("the code field is focused on arrival, and the sixth digit typed submits", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `focus-${project}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  const field = page.getByLabel("Sign-in code", { exact: true });
  await ready(page, javaScriptEnabled);
  await expect(field).toBeFocused();
  await expect(field).toHaveAttribute("autocomplete", "one-time-code");
  await expect(field).toHaveAttribute("inputmode", "numeric");
  const code = await newestCode(page, email);

  // Typed a key at a time into the focused field, as a person would.
  await page.keyboard.type(code, { delay: 30 });
  if (javaScriptEnabled === false) {
    // Without JavaScript nothing happens until the button is pressed.
    await expect(page).toHaveURL(/\/login\/sent$/);
    await page.getByRole("button", { name: "Sign in with code" }).click();
  }
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
});

test("a pasted code with a space in it submits by itself with JavaScript", { tag: "@js-only" }, async ({ page, javaScriptEnabled }, info) => {
  const email = `paste-${info.project.name}-${Date.now()}@example.com`;
  await requestEmail(page, email, javaScriptEnabled);
  const code = await newestCode(page, email);
  await ready(page, javaScriptEnabled);
  const submitted = page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/auth/code.data");
  await page.getByLabel("Sign-in code", { exact: true }).fill(`${code.slice(0, 3)} ${code.slice(3)}`);
  await submitted;
  await expect(page).toHaveURL(/\/dashboard$/);
});
