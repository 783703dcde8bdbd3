import { describe, expect, it } from "vitest";
// The deployed configuration itself, as wrangler reads it.
import wranglerToml from "../../wrangler.toml?raw";

/** The body of a `[section]` (up to the next section header). */
function section(name: string): string {
  const start = wranglerToml.indexOf(`[${name}]\n`);
  if (start === -1) return "";
  const rest = wranglerToml.slice(start + name.length + 3);
  return rest.slice(0, rest.search(/^\[/m) === -1 ? undefined : rest.search(/^\[/m));
}

describe("wrangler.toml", () => {
  it("keeps Workers Logs from recording request URLs, which carry sign-in tokens (LOG-2)", () => {
    expect(section("observability.logs")).toMatch(/^invocation_logs\s*=\s*false$/m);
  });

  it("puts a burst gate in front of sends and guesses (RL-5)", () => {
    for (const name of ["SEND_BURST", "GUESS_BURST"]) {
      expect(wranglerToml).toMatch(new RegExp(`\\[\\[ratelimits\\]\\]\\s*\\nname = "${name}"\\s*\\nnamespace_id = "\\d+"\\s*\\nsimple = \\{ limit = \\d+, period = 60 \\}`));
    }
  });
});
