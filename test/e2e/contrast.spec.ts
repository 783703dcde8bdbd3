import { expect, test, type Page } from "@playwright/test";

/** WCAG contrast ratio of two computed `rgb(…)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (color: string) => {
    const [r, g, b] = color.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((c) => {
      const s = Number(c) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

async function colours(page: Page) {
  return page.evaluate(() => {
    const style = (selector: string) => getComputedStyle(document.querySelector(selector)!);
    const input = style("input[name=email]");
    const button = style("main button[type=submit]");
    return {
      fieldBorder: input.borderTopColor,
      fieldBackground: input.backgroundColor,
      card: style(".card").backgroundColor,
      buttonText: button.color,
      buttonBackground: button.backgroundColor,
      text: style("body").color,
      page: style("body").backgroundColor,
    };
  });
}

for (const colorScheme of ["light", "dark"] as const) {
  // Colours don't depend on scripts: run once, in the JavaScript project.
  test(`the sign-in form can be seen in ${colorScheme} mode: field edges ≥ 3:1, text ≥ 4.5:1`, { tag: "@js-only" }, async ({ page, javaScriptEnabled }) => {
    await page.emulateMedia({ colorScheme });
    await page.goto("/login");
    const c = await colours(page);
    expect(contrast(c.fieldBorder, c.card), "field border against the card").toBeGreaterThanOrEqual(3);
    expect(contrast(c.fieldBorder, c.fieldBackground), "field border against the field").toBeGreaterThanOrEqual(3);
    expect(contrast(c.buttonText, c.buttonBackground), "button label").toBeGreaterThanOrEqual(4.5);
    expect(contrast(c.text, c.page), "body text").toBeGreaterThanOrEqual(4.5);
    await page.screenshot({ path: `test-results/screenshots/login-${colorScheme}.png`, fullPage: true });
  });
}
