// Runs SQL against the D1 database through `wrangler d1 execute` (local by default, --remote for the
// deployed one) and returns the rows of each statement.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function runD1(sql, { remote = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-d1-"));
  const file = join(dir, "statements.sql");
  writeFileSync(file, Array.isArray(sql) ? sql.join("\n") : sql, { mode: 0o600 });
  try {
    const output = execFileSync("npx", ["wrangler", "d1", "execute", "DB", remote ? "--remote" : "--local", "--file", file, "--json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    });
    return JSON.parse(output).map((result) => result.results ?? []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
