/**
 * The local Worker entry, used by npm run dev, npm run preview, the e2e suite, the workerd tests and
 * npm run bench (each runs `wrangler dev app/dev/worker.ts` or points the test pool here). It is the
 * deployed app from app/worker.ts plus everything that must never ship: the GitHub and Google
 * stand-ins, the demo relying party, the dev mailbox with its outbox mail adapter, and the bench's
 * query counter. `wrangler deploy` bundles app/worker.ts, which imports nothing from this folder;
 * test/scripts/bundle.test.mjs builds both bundles and checks.
 *
 * Each tool answers only under the conditions it always had (a loopback APP_URL and a request to a
 * loopback host; the stand-ins also only without real credentials) and otherwise calls `next()`, so
 * the app answers and /dev/* is its 404 page.
 */
import { Hono } from "hono";
import { GITHUB_STAND_IN_PATH, GOOGLE_STAND_IN_PATH, isLoopbackUrl } from "~/lib/env.server";
import { createWorker, type WorkerEnv } from "~/worker";
import { stylesheet } from "~/worker/remix-build";
import { githubStandIn } from "./github-stand-in";
import { googleStandIn } from "./google-stand-in";
import { DEMO_RP_PATH, demoRelyingParty } from "./rp/app";
import { MAILBOX_PATH, mailbox } from "./mailbox";
import { createOutboxMailer } from "./outbox.server";
import { queryCounter } from "./query-counter";

const counter = queryCounter();
const devRoutes = new Hono<WorkerEnv>();

devRoutes.use(counter.header);

// The stand-ins are mounted (by createWorker) before the same-origin check because their token
// endpoints are called server-to-server, as GitHub's and Google's are.
devRoutes.all(`${GITHUB_STAND_IN_PATH}/*`, async (c, next) => {
  const github = c.get("config").github;
  if (!github?.standIn || !isLoopbackUrl(c.req.url)) return next();
  return githubStandIn.fetch(c.req.raw, { kv: c.env.RATE_LIMITS, github, stylesheet });
});

devRoutes.all(`${GOOGLE_STAND_IN_PATH}/*`, async (c, next) => {
  const google = c.get("config").google;
  if (!google?.standIn || !isLoopbackUrl(c.req.url)) return next();
  return googleStandIn.fetch(c.req.raw, { kv: c.env.RATE_LIMITS, google, stylesheet });
});

const demoRp = demoRelyingParty();
devRoutes.all(`${DEMO_RP_PATH}/*`, (c, next) => {
  const { appUrl } = c.get("config");
  return isLoopbackUrl(appUrl) && isLoopbackUrl(c.req.url) ? demoRp.fetch(c.req.raw, { appUrl, stylesheet }) : next();
});

devRoutes.route("/", mailbox);

export default createWorker({
  routes: devRoutes,
  mailers: { outbox: ({ db }) => createOutboxMailer(db) },
  onQuery: counter.count,
  // The mailbox previews mail HTML (styled inline) in a sandboxed srcdoc frame, which inherits its CSP.
  inlineStylePaths: [MAILBOX_PATH],
});
