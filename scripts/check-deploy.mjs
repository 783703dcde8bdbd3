// `npm run deploy` runs this before building and uploading: it refuses a wrangler.toml that still has
// the shipped example settings (or settings no deployment can work with) and says exactly what to do.
// The Worker checks its configuration again on every cold start (app/lib/env.server.ts); this catches
// the same mistakes before anything is uploaded.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { D1, hasSection, isPlaceholderFrom, isPlaceholderId, isPlaceholderUrl, KV, PLACEHOLDER_HOST, readValue, SEND_EMAIL, VARS } from "./lib/wrangler-toml.mjs";

const PROVIDERS = ["resend", "postmark", "cloudflare"];

/** Every problem as one line: what is wrong, then the fix. */
export function findDeployProblems(toml) {
  const problems = [];
  const appUrl = readValue(toml, VARS, "APP_URL");
  if (isPlaceholderUrl(appUrl)) {
    problems.push(
      `APP_URL is ${appUrl ? `still "${appUrl}"` : "missing"}. Set it in wrangler.toml [vars] to the address people will open: ` +
        `https://latchkey.<your-subdomain>.workers.dev, or your own domain such as https://auth.yourdomain.com.`,
    );
  }
  const from = readValue(toml, VARS, "EMAIL_FROM");
  if (isPlaceholderFrom(from)) {
    problems.push(
      `EMAIL_FROM is ${from ? `still "${from}"` : "missing"}. Set it in wrangler.toml [vars] to an address on your verified sending domain, e.g. "Latchkey <login@yourdomain.com>".`,
    );
  }
  const provider = readValue(toml, VARS, "EMAIL_PROVIDER");
  if (provider === "outbox") {
    problems.push(
      `EMAIL_PROVIDER is "outbox", which keeps sign-in emails in the database instead of sending them. Set it to "resend", "postmark" or "cloudflare" in wrangler.toml [vars].`,
    );
  } else if (!PROVIDERS.includes(provider)) {
    problems.push(`EMAIL_PROVIDER is ${provider ? `"${provider}"` : "missing"}. Set it to "resend", "postmark" or "cloudflare" in wrangler.toml [vars].`);
  } else if (provider === "cloudflare" && !hasSection(toml, SEND_EMAIL)) {
    problems.push(`EMAIL_PROVIDER is "cloudflare" but wrangler.toml has no [[send_email]] binding named "EMAIL". Add one: [[send_email]] name = "EMAIL".`);
  }
  if (isPlaceholderId(readValue(toml, D1, "database_id"))) {
    problems.push(`The D1 database_id (binding "DB") is still all zeros. Create the database and put its id there: npx wrangler d1 create latchkey.`);
  }
  if (isPlaceholderId(readValue(toml, KV, "id"))) {
    problems.push(`The KV namespace id (binding "RATE_LIMITS") is still all zeros. Create the namespace and put its id there: npx wrangler kv namespace create latchkey-rate-limits.`);
  }
  return problems;
}

function main() {
  const path = process.argv[2] ?? "wrangler.toml";
  const problems = findDeployProblems(readFileSync(path, "utf8"));
  if (problems.length === 0) return;
  console.error(
    [
      `npm run deploy stopped before uploading anything: ${path} isn't ready for a deployment (the shipped file has example values on ${PLACEHOLDER_HOST} and all-zero ids).`,
      "",
      ...problems.map((p) => `  • ${p}`),
      "",
      "The quickest fix: npm run setup:cloudflare — it creates the D1 database and KV namespace (or reuses yours), writes their ids,",
      "asks for APP_URL, the mail provider and EMAIL_FROM, sets the secrets and applies the migrations. Then npm run deploy again.",
    ].join("\n"),
  );
  process.exit(1);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main();
