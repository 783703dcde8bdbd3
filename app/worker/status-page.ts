/**
 * Full HTML pages for the answers the Worker gives before Remix runs (403, 413, 415, 500, bad
 * configuration). They use the app's own stylesheet so an error still looks like Latchkey.
 */
import { escapeHtml } from "~/lib/html";

export interface StatusPage {
  status: number;
  title: string;
  message: string;
  /** Extra lines, e.g. the configuration problems to fix. */
  details?: string[];
  requestId?: string;
  stylesheet?: string;
}

export function renderStatusPage({ status, title, message, details = [], requestId, stylesheet }: StatusPage) {
  const list = details.length
    ? `<ul class="problems">${details.map((d) => `<li>${escapeHtml(d)}</li>`).join("")}</ul>`
    : "";
  const reference = requestId ? `<p class="muted small">Reference: <code>${escapeHtml(requestId)}</code></p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Latchkey</title>
${stylesheet ? `<link rel="stylesheet" href="${escapeHtml(stylesheet)}">` : ""}
</head>
<body>
<header class="site-header"><a class="brand" href="/">Latchkey</a></header>
<main class="page"><section class="card" aria-labelledby="title">
<p class="status-code">${status}</p>
<h1 id="title">${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
${list}
<p><a class="button" href="/">Go to the home page</a></p>
${reference}
</section></main>
</body>
</html>`;
}
