import { expect, test } from "@playwright/test";
import { ready } from "./helpers";

const SCREENSHOTS = "test-results/screenshots";
const ACCENT = "rgb(67, 56, 202)"; // the sign-in email's button colour, set inline in the mail

async function requestSignInEmail(page: import("@playwright/test").Page, email: string, javaScriptEnabled: boolean | undefined) {
  await page.goto("/login");
  await ready(page, javaScriptEnabled);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
}

test("the dev mailbox shows each email's HTML part as sent, and its button signs in", async ({ page, javaScriptEnabled }, info) => {
  const project = info.project.name;
  const email = `mailbox-${project}-${Date.now()}@example.com`;
  await requestSignInEmail(page, email, javaScriptEnabled);

  await page.goto("/dev/mailbox");
  const mail = page.locator("li", { hasText: `To: ${email}` });
  await expect(mail).toHaveCount(1);
  const frame = mail.frameLocator("iframe.mail-preview");
  await expect(frame.getByRole("heading", { name: "Sign in to Latchkey" })).toBeVisible();
  await expect(frame.getByText(email)).toBeVisible();
  // The mail's inline styles apply inside the frame (the page's CSP allows them there).
  await expect(frame.getByRole("link", { name: "Sign in" })).toHaveCSS("background-color", ACCENT);
  // The text part is still there, with its link clickable.
  await expect(mail.getByRole("link", { name: /\/auth\/verify\?token=/ })).toBeVisible();

  // The preview's button opens the link in a new tab, like a mail client would.
  const opened = page.waitForEvent("popup");
  await frame.getByRole("link", { name: "Sign in" }).click();
  const tab = await opened;
  // (Screenshots after the click: a full-page capture re-lays out the frame, and a click right after it
  // could land before the link was back in place.)
  await mail.screenshot({ path: `${SCREENSHOTS}/${project}-mailbox-html-part.png` });
  await page.screenshot({ path: `${SCREENSHOTS}/${project}-mailbox.png`, fullPage: true });
  await expect(tab.getByRole("heading", { name: /^Sign in as m…@example\.com\?$/ })).toBeVisible();
  await ready(tab, javaScriptEnabled);
  await tab.getByRole("button", { name: "Sign in" }).click();
  await expect(tab).toHaveURL(/\/dashboard$/);
});

// The hostile mail is put into the page with a script, so this runs in the JavaScript project only.
test("a mail's HTML runs no script and loads nothing in the preview", { tag: "@js-only" }, async ({ page, javaScriptEnabled }, info) => {
  const email = `mailbox-hostile-${info.project.name}-${Date.now()}@example.com`;
  await requestSignInEmail(page, email, javaScriptEnabled);
  // The mailbox is a plain page from the dev entry, not a Remix route: there is no hydration to wait for.
  await page.goto("/dev/mailbox");
  await expect(page.getByRole("heading", { name: "Dev mailbox" })).toBeVisible();

  // Chromium reports a request the CSP blocks as failed ("csp") before anything leaves the browser.
  const fetchedFromMail: string[] = [];
  const blockedFromMail: string[] = [];
  page.on("requestfinished", (request) => {
    if (request.url().includes("from-mail")) fetchedFromMail.push(request.url());
  });
  page.on("requestfailed", (request) => {
    if (request.url().includes("from-mail")) blockedFromMail.push(`${new URL(request.url()).search} ${request.failure()?.errorText}`);
  });
  const mail = page.locator("li", { hasText: `To: ${email}` });
  // Append to this mail's HTML what a hostile or tracking mail would carry, keeping the preview's own
  // frame attributes and CSP prefix exactly as the server rendered them.
  await mail.locator("iframe.mail-preview").evaluate((frame: HTMLIFrameElement) => {
    frame.srcdoc +=
      '<p id="marker">hostile mail loaded</p>' +
      "<script>document.getElementById('marker').textContent = 'script ran'</script>" +
      '<img id="pixel" src="/healthz?from-mail-img" alt="pixel">' +
      '<link rel="stylesheet" href="/healthz?from-mail-css">' +
      '<div style="background-image:url(/healthz?from-mail-bg);width:10px;height:10px"></div>';
  });
  const frame = mail.frameLocator("iframe.mail-preview");
  await expect(frame.locator("#marker")).toHaveText("hostile mail loaded");
  await expect(frame.getByRole("link", { name: "Sign in" })).toHaveCSS("background-color", ACCENT);
  await expect.poll(() => blockedFromMail.length).toBe(3);
  expect(blockedFromMail.sort()).toEqual(["?from-mail-bg csp", "?from-mail-css csp", "?from-mail-img csp"]);
  expect(fetchedFromMail).toEqual([]);
  await expect(frame.locator("#marker")).toHaveText("hostile mail loaded");
});
