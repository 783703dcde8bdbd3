/**
 * The HTML shell of the pages the dev-only tools render themselves (stand-ins, demo app, mailbox): the
 * app's stylesheet, so they look like local Latchkey, and a header that says whose page it is.
 */
import { escapeHtml } from "~/lib/html";

export interface DevPage {
  /** The page's own title; " · {brand}" is added. */
  title: string;
  /** Who this page pretends to be or belongs to ("GitHub stand-in", "Demo app"). */
  brand: string;
  /** Where the brand links to; plain text when absent (a stand-in is not our site). */
  brandHref?: string;
  tagline: string;
  /** Already-escaped HTML for the page's main element. */
  body: string;
  stylesheet: string | undefined;
  wide?: boolean;
}

export function renderDevPage({ title, brand, brandHref, tagline, body, stylesheet, wide = false }: DevPage): string {
  const link = stylesheet ? `<link rel="stylesheet" href="${escapeHtml(stylesheet)}">` : "";
  const brandHtml = brandHref
    ? `<a class="brand" href="${escapeHtml(brandHref)}">${escapeHtml(brand)}</a>`
    : `<span class="brand">${escapeHtml(brand)}</span>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${escapeHtml(brand)}</title>
${link}
</head>
<body>
<header class="site-header">${brandHtml}<span class="muted small">${escapeHtml(tagline)}</span></header>
<main id="main" class="page${wide ? " wide" : ""}">${body}</main>
</body>
</html>`;
}
