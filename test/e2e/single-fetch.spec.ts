/**
 * Remix's v3 flags in a real browser: with JavaScript, submissions and navigations fetch
 * `/<route>.data` and unknown routes are discovered through `/__manifest`; without it, the same forms
 * are ordinary page loads. Either way an action's 4xx answer shows on the page (decision 012).
 */
import { expect, test } from "@playwright/test";
import { ready } from "./helpers";

test("shows an action's 4xx answer on the page, through /login.data with JavaScript and a page load without", async ({ page, javaScriptEnabled }) => {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  const path = javaScriptEnabled === false ? "/login" : "/login.data";
  const answered = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === path);
  await page.getByLabel("Email address").fill("not-an-email");
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();

  expect((await answered).status()).toBe(400);
  await expect(page.locator("#field-email-error")).toHaveText(/Enter an email address like name@example\.com\./);
  await expect(page.getByRole("heading", { name: "Sign in to Latchkey" })).toBeVisible();
});

// Without JavaScript every link is a page load: this runs in the JavaScript project only.
test("navigates client-side with one data request, discovering the next route first", { tag: "@js-only" }, async ({ page, javaScriptEnabled }) => {
  const requests: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.endsWith(".data") || url.pathname === "/__manifest") requests.push(url.pathname);
  });
  await page.goto("/");
  await ready(page, javaScriptEnabled);
  await page.getByRole("link", { name: "Sign in with email" }).click();

  await expect(page.getByRole("heading", { name: "Sign in to Latchkey" })).toBeVisible();
  expect(requests).toContain("/__manifest");
  expect(requests.filter((p) => p === "/login.data")).toHaveLength(1);
});
