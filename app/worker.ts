/**
 * The Worker's entry: a Hono app that wires cross-cutting middleware in order, owns /healthz and
 * /api/*, and hands every other request to Remix with env, ctx and a drizzle db in the load context.
 * Static files under build/client are served by Workers static assets before this code runs.
 */
import { Hono, type Context } from "hono";
import { requestId } from "hono/request-id";
import { createRequestHandler, type AppLoadContext, type ServerBuild } from "@remix-run/cloudflare";
// Produced by `remix vite:build` (npm run build); has no type declarations of its own.
// @ts-ignore -- missing until the first build, and untyped after it
import * as remixBuild from "../build/server/index.js";
import { readClientInfo } from "~/lib/client-info.server";
import { createDb, type Database } from "~/lib/db.server";
import { GITHUB_STAND_IN_PATH, isLoopbackUrl, readConfig, type AppConfig } from "~/lib/env.server";
import { createMailer, type Mailer } from "~/lib/mailer.server";
import { getSignedIn } from "~/auth/session.server";
import { securityHeaders } from "./worker/middleware/security-headers";
import { sameOriginPosts } from "./worker/middleware/same-origin-posts";
import { formBodies } from "./worker/middleware/form-bodies";
import { requestBodies } from "./worker/middleware/request-bodies";
import { readablePaths } from "./worker/middleware/readable-paths";
import { renderStatusPage, type StatusPage } from "./worker/status-page";
import { purgeExpiredRows } from "./worker/purge";
import { githubStandIn } from "./worker/github-stand-in";

const MAX_BODY_BYTES = 16 * 1024;

type Variables = {
  requestId: string;
  cspNonce: string;
  config: AppConfig;
  db: Database;
  mailer: Mailer;
};

type WorkerEnv = { Bindings: Env; Variables: Variables };

const build = remixBuild as unknown as ServerBuild;
const handleRemixRequest = createRequestHandler(build);
const stylesheet = build.assets.routes.root?.css?.[0];

function statusPage(c: Context<WorkerEnv>, page: Omit<StatusPage, "stylesheet" | "requestId">) {
  const body = renderStatusPage({ ...page, stylesheet, requestId: c.get("requestId") });
  return c.html(body, page.status as 400);
}

const app = new Hono<WorkerEnv>();

app.use(requestId());
app.use(securityHeaders());
// Domain code signals some failures (e.g. D1 unavailable → 503) by throwing a Response, as in Remix.
app.use(async (c, next) => {
  try {
    await next();
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown;
    if (!thrown.headers.get("Content-Type")?.startsWith("text/plain")) {
      c.res = thrown;
    } else if (c.req.path.startsWith("/api/")) {
      c.res = c.json({ error: "unavailable", message: await thrown.text() }, thrown.status as 503);
    } else {
      c.res = statusPage(c, { status: thrown.status, title: "Please try again in a moment", message: await thrown.text() });
    }
  }
});

app.onError((error, c) => {
  // Log the detail with the request id; show the person only the id (no stack traces, ever).
  console.error(`[${c.get("requestId")}] unhandled error`, error);
  return statusPage(c, {
    status: 500,
    title: "Something went wrong",
    message: "Latchkey hit an unexpected error. Nothing was changed; please try again in a moment.",
  });
});

app.use(
  readablePaths({
    onRejected: (c) =>
      statusPage(c as Context<WorkerEnv>, {
        status: 400,
        title: "That address isn't valid",
        message: "The link has a broken %-escape in it. Check where it came from, or start again from the home page.",
      }),
  }),
);

app.use(
  requestBodies({
    maxBytes: MAX_BODY_BYTES,
    onTooLarge: (c) =>
      statusPage(c as Context<WorkerEnv>, {
        status: 413,
        title: "That request is too large",
        message: `Forms sent to Latchkey can be at most ${MAX_BODY_BYTES / 1024} KiB.`,
      }),
  }),
);

app.use(async (c, next) => {
  const result = readConfig(c.env);
  if (!result.ok) {
    console.error(`configuration problems: ${result.problems.join("; ")}`);
    return statusPage(c, {
      status: 503,
      title: "Latchkey isn't configured yet",
      message: "This deployment is missing settings it needs. Whoever runs it should fix these:",
      details: result.problems,
    });
  }
  let queries = 0;
  const db = createDb(c.env.DB, () => queries++);
  c.set("config", result.config);
  c.set("db", db);
  c.set("mailer", createMailer(result.config, db));
  await next();
  // For `npm run bench` only: how many D1 round trips the response needed (work after it isn't counted).
  if (c.env.BENCH_COUNT_QUERIES === "true") c.res.headers.set("X-D1-Queries", String(queries));
});

// The local GitHub stand-in: only without GitHub credentials, with a loopback APP_URL, and for requests
// to a loopback host; otherwise /dev/github/* falls through to the 404 page. Mounted before the
// same-origin check because its token endpoint is called server-to-server, as GitHub's is.
app.all(`${GITHUB_STAND_IN_PATH}/*`, async (c, next) => {
  const github = c.get("config").github;
  if (!github?.standIn || !isLoopbackUrl(c.req.url)) return next();
  return githubStandIn.fetch(c.req.raw, { kv: c.env.RATE_LIMITS, github, stylesheet });
});

app.use(
  sameOriginPosts({
    onRejected: (c) =>
      statusPage(c as Context<WorkerEnv>, {
        status: 403,
        title: "Request blocked",
        message:
          "This form was sent from another site, or your browser didn't say where it came from. Go back to the page, reload it and try again.",
      }),
  }),
);

app.get("/healthz", async (c) => {
  try {
    await c.get("db").$client.prepare("SELECT 1").first();
    return c.json({ status: "ok", db: "ok" });
  } catch (error) {
    console.error("healthz: D1 check failed", error);
    return c.json({ status: "error", db: "unreachable" }, 503);
  }
});

const api = new Hono<WorkerEnv>();

api.get("/session", async (c) => {
  const signedIn = await getSignedIn(c.req.raw, {
    db: c.get("db"),
    config: c.get("config"),
    now: () => new Date(),
  });
  if (!signedIn) return c.json({ error: "unauthenticated", message: "No valid session." }, 401);
  const { user, session } = signedIn;
  const idleExpiresAt = new Date(session.lastSeenAt.getTime() + c.get("config").sessionIdleMs);
  return c.json({
    user: { id: user.id, email: user.email },
    session: {
      createdAt: session.createdAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      idleExpiresAt: idleExpiresAt.toISOString(),
      lastSeenAt: session.lastSeenAt.toISOString(),
    },
  });
});

app.route("/api", api);
app.all("/api/*", (c) =>
  c.json({ error: "not_found", message: `No API route ${c.req.method} ${c.req.path}.` }, 404),
);

app.use(
  formBodies({
    onRejected: (c) =>
      statusPage(c as Context<WorkerEnv>, {
        status: 415,
        title: "Unsupported form data",
        message: "Latchkey's pages accept ordinary form submissions only. Go back and submit the form again.",
      }),
  }),
);

app.all("*", (c) => {
  const context: AppLoadContext = {
    env: c.env,
    ctx: c.executionCtx as ExecutionContext,
    db: c.get("db"),
    config: c.get("config"),
    mailer: c.get("mailer"),
    kv: c.env.RATE_LIMITS,
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
    now: () => new Date(),
    requestId: c.get("requestId"),
    cspNonce: c.get("cspNonce"),
    client: readClientInfo(c.req.raw),
  };
  return handleRemixRequest(c.req.raw, context);
});

export default {
  fetch: app.fetch,
  /** The daily cron trigger (wrangler.toml): purge rows that can never be used again. */
  async scheduled(controller: ScheduledController, env: Env) {
    const result = readConfig(env);
    if (!result.ok) {
      console.error(`purge skipped: ${result.problems.join("; ")}`);
      return;
    }
    const purged = await purgeExpiredRows(env.DB, new Date(controller.scheduledTime), result.config.sessionIdleMs);
    console.log(`purged ${JSON.stringify(purged)}`);
  },
} satisfies ExportedHandler<Env>;
