/**
 * The Worker's entry: a Hono app that wires cross-cutting middleware in order, owns /healthz and
 * /api/*, and hands every other request to Remix with env, ctx and a drizzle db in the load context.
 * Static files under build/client are served by Workers static assets before this code runs.
 *
 * This is the deployed entry (wrangler.toml `main`), and it imports nothing from app/dev/. Local runs
 * use app/dev/worker.ts, which builds the same app through `createWorker(options)` and adds the
 * dev-only pieces (stand-ins, demo app, mailbox and its outbox adapter, the bench's query counter)
 * through the few typed seams in WorkerOptions.
 */
import { Hono, type Context } from "hono";
import { createRequestHandler, type AppLoadContext } from "@remix-run/cloudflare";
import { readClientInfo } from "~/lib/client-info.server";
import { themeStylesheet } from "~/lib/theme";
import { createDb, databaseOutage, type Database } from "~/lib/db.server";
import { openRequestD1 } from "~/lib/d1-sessions.server";
import { readConfig, type AppConfig } from "~/lib/env.server";
import type { Mailer } from "~/lib/mail/mailer.server";
import { createMailer, type ExtraMailers } from "~/lib/mail/create-mailer.server";
import { getSignedIn } from "~/auth/session/signed-in.server";
import { securityHeaders, type CspWidening } from "./worker/middleware/security-headers";
import { requestIds } from "./worker/middleware/request-id";
import { sameOriginPosts } from "./worker/middleware/same-origin-posts";
import { formBodies } from "./worker/middleware/form-bodies";
import { requestBodies } from "./worker/middleware/request-bodies";
import { readablePaths } from "./worker/middleware/readable-paths";
import { renderStatusPage, type StatusPage } from "./worker/status-page";
import { answeringDatabaseOutages } from "./worker/database-outages";
import { build, stylesheet } from "./worker/remix-build";
import { purgeExpiredRows, rotateKeysIfDue } from "./worker/purge";
import { passkeyRoutes } from "./auth/passkeys/routes";
import { oidcProvider } from "./provider/app";

const MAX_BODY_BYTES = 16 * 1024;

type Variables = {
  requestId: string;
  cspNonce: string;
  csp: CspWidening;
  config: AppConfig;
  db: Database;
  mailer: Mailer;
};

/** What handlers mounted through `WorkerOptions.routes` see: the bindings and the per-request values. */
export type WorkerEnv = { Bindings: Env; Variables: Variables };

/**
 * The seams a Worker entry can fill. The deployed entry (the default export below) fills none; the dev
 * entry (app/dev/worker.ts) fills each one.
 */
export interface WorkerOptions {
  /**
   * Handlers mounted after the configuration is read (so they see `config` and `db`) and before the
   * same-origin and form-only checks (so an OAuth stand-in's server-to-server POSTs reach it). Each
   * decides for itself whether to answer or call `next()`.
   */
  routes?: Hono<WorkerEnv>;
  /** Mail adapters beyond the deployed ones, chosen by EMAIL_PROVIDER like the others. */
  mailers?: ExtraMailers;
  /** Called on every D1 round trip (a statement or a batch) a request makes. */
  onQuery?: (c: Context<WorkerEnv>) => void;
  /** Pages whose CSP also allows inline styles (see securityHeaders). */
  inlineStylePaths?: string[];
}

const handleRemixRequest = createRequestHandler(answeringDatabaseOutages(build));

/** A D1 outage as "try again": JSON for the JSON APIs (/api/*, the passkey ceremony), else a page. */
async function answerOutage(c: Context<WorkerEnv>, outage: Response): Promise<Response> {
  const message = await outage.text();
  const retryAfter = outage.headers.get("Retry-After") ?? "5";
  if (c.req.path.startsWith("/api/") || c.req.path.startsWith("/auth/passkey")) {
    return c.json({ error: "unavailable", message }, 503, { "Retry-After": retryAfter });
  }
  const page = statusPage(c, { status: 503, title: "Please try again in a moment", message });
  page.headers.set("Retry-After", retryAfter);
  return page;
}

function statusPage(c: Context<WorkerEnv>, page: Omit<StatusPage, "stylesheet" | "requestId">) {
  const body = renderStatusPage({ ...page, stylesheet, requestId: c.get("requestId") });
  return c.html(body, page.status as 400);
}

function notConfigured(c: Context<WorkerEnv>, problems: string[]) {
  console.error(`configuration problems: ${problems.join("; ")}`);
  return statusPage(c, {
    status: 503,
    title: "Latchkey isn't configured yet",
    message: "This deployment is missing settings it needs. Whoever runs it should fix these:",
    details: problems,
  });
}

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

function createApp({ routes, mailers, onQuery, inlineStylePaths }: WorkerOptions): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();

  app.use(requestIds());
  app.use(securityHeaders({ inlineStylePaths }));
  // Domain code signals some failures (e.g. D1 unavailable → 503) by throwing a Response, as in Remix.
  app.use(async (c, next) => {
    try {
      await next();
    } catch (thrown) {
      const outage = databaseOutage(thrown);
      if (outage) c.res = await answerOutage(c, outage);
      else if (thrown instanceof Response) c.res = thrown;
      else throw thrown;
    }
  });

  app.onError(async (error, c) => {
    // Hono hands Errors to this handler directly, so drizzle's wrapped D1 failures arrive here.
    const outage = databaseOutage(error);
    if (outage) return answerOutage(c, outage);
    // Log the detail with the request id; show the person only the id (no stack traces, ever).
    const clientId = c.get("clientRequestId");
    console.error(`[${c.get("requestId")}] unhandled error${clientId ? ` (client request id ${clientId})` : ""}`, error);
    return statusPage(c, {
      status: 500,
      title: "Something went wrong",
      message: "Latchkey hit an unexpected error. Nothing was changed; please try again in a moment.",
    });
  });

  // A path with a broken %-escape can't be routed (Remix would log warnings): a 400, before anything else.
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

  // Every body is read once, here, into memory (at most 16 KiB): an unread client stream left behind
  // makes workerd drop the keep-alive connection (decision 006).
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
    if (!result.ok) return notConfigured(c, result.problems);
    // One D1 session per request: with read replication on, replicas may serve reads, while requests
    // that carry credentials or write start on the primary (SES-7; decision 014).
    const d1 = await openRequestD1(c.env.DB, c.req.raw, result.config);
    const db = createDb(d1.session, onQuery && (() => onQuery(c)));
    // The outbox passes the config check on a loopback APP_URL, but only the dev entry has it: a
    // deployed Worker left on it says so here instead of failing at the first sign-in email.
    const mail = createMailer(result.config, { db, emailBinding: c.env.EMAIL }, mailers);
    if (!mail.ok) return notConfigured(c, [mail.problem]);
    c.set("config", result.config);
    c.set("db", db);
    c.set("mailer", mail.mailer);
    await next();
    // After a write, the browser carries the bookmark so its next anonymous reads see that write.
    const bookmark = await d1.bookmarkCookie();
    if (bookmark) {
      c.res = new Response(c.res.body, c.res);
      c.res.headers.append("Set-Cookie", bookmark);
    }
  });

  if (routes) app.route("/", routes);

  // The OpenID Connect provider's JSON endpoints (discovery, JWKS, token, userinfo, revoke): called by
  // other apps' servers, so mounted before the same-origin and form-only checks meant for our pages.
  app.route("/", oidcProvider());

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

  // The theme's colours and font (BRAND_* vars) as CSS custom properties: the CSP allows no inline styles.
  app.get("/theme.css", (c) =>
    c.body(themeStylesheet(c.get("config").theme), 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=300" }),
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

  app.route("/api", api);
  app.all("/api/*", (c) =>
    c.json({ error: "not_found", message: `No API route ${c.req.method} ${c.req.path}.` }, 404),
  );

  // Passkeys speak JSON (WebAuthn's toJSON shapes), so they're served here, after the same-origin check
  // and the body limit, and before the form-only gate for Remix pages.
  app.route("/", passkeyRoutes);

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

  // `?_data=` is how Remix loaded data before single fetch; no page of ours sends it any more, and Remix
  // answers it with an error (and an error-level log line). Say so plainly instead.
  app.use(async (c, next) => {
    if (!new URL(c.req.url).searchParams.has("_data")) return next();
    return statusPage(c, {
      status: 400,
      title: "That request isn't supported",
      message: "This address asks for data in a way Latchkey no longer uses. Reload the page and try again.",
    });
  });

  app.all("*", (c) => {
    const context: AppLoadContext = {
      env: c.env,
      ctx: c.executionCtx as ExecutionContext,
      db: c.get("db"),
      config: c.get("config"),
      mailer: c.get("mailer"),
      kv: c.env.RATE_LIMITS,
      limiters: { sends: c.env.SEND_BURST, guesses: c.env.GUESS_BURST },
      waitUntil: (promise) => c.executionCtx.waitUntil(promise),
      now: () => new Date(),
      requestId: c.get("requestId"),
      cspNonce: c.get("cspNonce"),
      csp: c.get("csp"),
      client: readClientInfo(c.req.raw),
    };
    return handleRemixRequest(c.req.raw, context);
  });

  return app;
}

/** The Worker's handlers (fetch and the daily cron) around the app built with `options`. */
export function createWorker(options: WorkerOptions = {}) {
  const app = createApp(options);
  return {
    fetch: app.fetch,
    /** The daily cron trigger (wrangler.toml): purge rows that can never be used again. */
    async scheduled(controller: ScheduledController, env: Env) {
      const result = readConfig(env);
      if (!result.ok) {
        console.error(`purge skipped: ${result.problems.join("; ")}`);
        return;
      }
      const purged = await purgeExpiredRows(env.DB, new Date(controller.scheduledTime), result.config);
      console.log(`purged ${JSON.stringify(purged)}`);
      const rotated = await rotateKeysIfDue(env.DB, new Date(controller.scheduledTime), result.config);
      if (rotated.created.length) console.log(`rotated signing keys: ${rotated.created.join(", ")}`);
    },
  } satisfies ExportedHandler<Env>;
}

export default createWorker();
