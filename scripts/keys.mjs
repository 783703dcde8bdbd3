// `npm run keys -- list|rotate [--now] [--remote]`: the provider's token-signing keys. The daily cron
// rotates them every 30 days; this rotates on demand. The private keys are encrypted under a secret only
// the Worker holds, so rotating here schedules the current keys' retirement and the Worker makes and
// publishes their successors on its next request (app/provider/keys.server.ts).
import { parseArgs } from "node:util";
import { runD1 } from "./lib/d1.mjs";
import { LIST_KEYS_SQL, scheduleKeyRetirementSql } from "./lib/client-sql.mjs";

// KEY_RETIREMENT_DELAY_MS in app/provider/keys.server.ts: publish-ahead (10 min) + token lifetime (10 min) + 1 min.
const RETIREMENT_DELAY_MS = 21 * 60 * 1000;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { remote: { type: "boolean" }, now: { type: "boolean" } },
});
const remote = values.remote === true;
const when = (ms) => (ms === null ? "—" : new Date(ms).toISOString());

switch (positionals[0]) {
  case "list": {
    const [rows] = runD1(LIST_KEYS_SQL, { remote });
    if (rows.length === 0) console.log("No signing keys yet: the Worker makes them on its first JWKS or token request.");
    for (const row of rows) console.log(`${row.id}  ${row.alg}  created ${when(row.created_at)}  leaves the JWKS ${when(row.retire_at)}`);
    break;
  }
  case "rotate": {
    // --now: for a leaked key. Tokens it signed stop verifying at once; apps must sign people in again.
    const retireAt = Date.now() + (values.now ? 0 : RETIREMENT_DELAY_MS);
    const [rows] = runD1(scheduleKeyRetirementSql(retireAt), { remote });
    console.log(`${rows.length} key(s) leave the JWKS at ${when(retireAt)}; their successors appear on the Worker's next request.`);
    break;
  }
  default:
    console.log("Usage: npm run keys -- list|rotate [--now] [--remote]");
    process.exit(positionals[0] ? 1 : 0);
}
