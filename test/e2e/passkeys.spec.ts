import { expect, test, type Page } from "@playwright/test";
import { ready, signInByEmailCode } from "./helpers";

const SCREENSHOTS = "test-results/screenshots";

/**
 * Chromium's DevTools virtual authenticator: a platform authenticator with resident keys (passkeys) that
 * verifies the user and answers every prompt by itself, so the real WebAuthn code paths run end to end.
 */
async function addVirtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const credentials = async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
  return { cdp, authenticatorId, credentials };
}

/**
 * The virtual authenticator answers a conditional (autofill) request the moment the login page makes
 * it, standing in for the person picking the passkey from the email field's autofill. To press the
 * button instead, a test turns autofill support off for the tab, as in a browser without it.
 */
async function allowTurningOffAutofill(page: Page) {
  await page.addInitScript(() => {
    if (sessionStorage.getItem("e2e-no-passkey-autofill") === "1") {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    }
  });
}

async function setPasskeyAutofill(page: Page, on: boolean) {
  await page.evaluate((off) => (off ? sessionStorage.setItem("e2e-no-passkey-autofill", "1") : sessionStorage.removeItem("e2e-no-passkey-autofill")), !on);
}

/**
 * Signing out lands on the sign-in page ("You're signed out"), where passkey autofill would start at once
 * and the virtual authenticator would answer it: autofill is off until the test turns it on again.
 */
async function signOut(page: Page) {
  // Before the page loads: the init script reads the flag once per document, and Remix then goes to the
  // sign-in page without loading a new one.
  await setPasskeyAutofill(page, false);
  await page.goto("/dashboard");
  await ready(page, true);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signedOut=1$/);
  await expect(page.getByRole("status")).toHaveText("You're signed out on this device.");
}

async function expectNoSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

// Passkeys need JavaScript; the no-JS test below covers that page.
test("adds a passkey, signs in with the button and through autofill, then deletes it", { tag: "@js-only" }, async ({ page, javaScriptEnabled }, info) => {
  test.setTimeout(120_000);
  const email = `passkey-${Date.now()}@example.com`;
  const { credentials } = await addVirtualAuthenticator(page);
  await allowTurningOffAutofill(page);

  // An email sign-in offers a passkey once on this device.
  await signInByEmailCode(page, email, true);
  await expect(page).toHaveURL(/\/dashboard$/);
  const offer = page.getByRole("complementary", { name: /Sign in faster next time/ });
  await expect(offer).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-30-passkey-offer.png`, fullPage: true });
  await offer.getByRole("button", { name: "Not now" }).click();
  await expect(offer).toBeHidden();

  // Add one from the account page.
  await page.goto("/account");
  await ready(page, true);
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Added the passkey/ })).toBeVisible();
  const passkeys = page.getByTestId("passkey");
  await expect(passkeys).toHaveCount(1);
  await expect(passkeys.first()).toContainText("Chrome on Linux");
  expect(await credentials()).toHaveLength(1);
  await page.locator("#passkeys").screenshot({ path: `${SCREENSHOTS}/${info.project.name}-31-passkey-added.png` });

  // Rename it (a plain form).
  await passkeys.first().getByRole("textbox").fill("Test laptop");
  await passkeys.first().getByRole("button", { name: /^Rename/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "Renamed the passkey to “Test laptop”." })).toBeVisible();

  // Sign out; sign in with the button (autofill off, so nothing answers before the click).
  await signOut(page);
  await setPasskeyAutofill(page, false);
  await page.goto("/login");
  await ready(page, true);
  await expect(page.getByLabel("Email address")).toHaveAttribute("autocomplete", "username webauthn");
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-32-login-with-passkey.png`, fullPage: true });
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-33-signed-in-with-passkey.png`, fullPage: true });
  // A passkey sign-in is not an email sign-in: no offer.
  await expect(page.getByRole("complementary", { name: /Sign in faster next time/ })).toHaveCount(0);

  // Sign out; sign in through autofill (conditional mediation): picking the passkey in the email
  // field signs in directly, without pressing any button. The virtual authenticator picks it.
  await signOut(page);
  await setPasskeyAutofill(page, true);
  await page.goto("/login?redirectTo=%2Faccount");
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Account & security" })).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-34-signed-in-through-autofill.png`, fullPage: true });

  // Delete it; the device still holds it, and now hears that it's gone.
  await ready(page, true);
  await page.getByTestId("passkey").first().getByRole("button", { name: /^Delete/ }).click();
  await expect(page.getByRole("status").filter({ hasText: /Deleted the passkey “Test laptop”/ })).toBeVisible();
  await expect(page.getByTestId("passkey")).toHaveCount(0);
  await expect(page.getByText("No passkeys yet.")).toBeVisible();
  await page.locator("#passkeys").screenshot({ path: `${SCREENSHOTS}/${info.project.name}-35-passkey-deleted.png` });

  // Picked from autofill again, it is refused with a way forward.
  await signOut(page);
  await setPasskeyAutofill(page, true);
  await page.goto("/login");
  await expect(page.getByRole("alert")).toContainText("That passkey isn't registered here any more");
  await expect(page).toHaveURL(/\/login$/);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-36-deleted-passkey-refused.png`, fullPage: true });
});

test("without JavaScript the login page has no passkey UI and email sign-in works as before", { tag: "@no-js-only" }, async ({ page, javaScriptEnabled }) => {
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in with a passkey" })).toHaveCount(0);
  await expect(page.getByLabel("Email address")).toHaveAttribute("autocomplete", "username webauthn");
  await signInByEmailCode(page, `nojs-passkey-${Date.now()}@example.com`, false);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("complementary", { name: /Sign in faster next time/ })).toHaveCount(0);
  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "Passkeys" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Add a passkey" })).toHaveCount(0);
});

test("the login, account and step-up pages look finished on a phone with a passkey", { tag: "@js-only" }, async ({ page, javaScriptEnabled }, info) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await addVirtualAuthenticator(page);
  await allowTurningOffAutofill(page);
  await page.goto("/login");
  await setPasskeyAutofill(page, false);
  await page.reload();
  await ready(page, true);
  await expect(page.getByRole("button", { name: "Sign in with a passkey" })).toBeVisible();
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-mobile-login-passkey.png`, fullPage: true });

  await signInByEmailCode(page, `passkey-phone-${Date.now()}@example.com`, true);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-mobile-passkey-offer.png`, fullPage: true });
  await page.getByRole("complementary", { name: /Sign in faster next time/ }).getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Passkey added." })).toBeVisible();

  await page.goto("/account");
  await ready(page, true);
  await expect(page.getByTestId("passkey")).toHaveCount(1);
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-mobile-account-passkeys.png`, fullPage: true });

  await page.goto("/account/confirm?next=%2Faccount%23passkeys");
  await ready(page, true);
  await expect(page.getByRole("button", { name: "Confirm with a passkey" })).toBeVisible();
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: `${SCREENSHOTS}/${info.project.name}-mobile-step-up-passkey.png`, fullPage: true });
  await page.getByRole("button", { name: "Confirm with a passkey" }).click();
  await expect(page).toHaveURL(/\/account\?confirmed=1#passkeys$/);
});
