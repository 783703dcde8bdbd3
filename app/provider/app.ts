/**
 * The provider's machine-to-machine endpoints as a Hono sub-app: discovery, JWKS, token, userinfo and
 * revocation. Apps call these from their servers (or, for public clients, from the browser with CORS),
 * never as a same-origin form, so the Worker mounts this before its same-origin POST and form-only
 * checks. The pages of the flow (/oauth/authorize, /oauth/consent, /oauth/logout) are Remix routes.
 */
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import { databaseOutage, type Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import { readClientInfo } from "~/lib/client-info.server";
import { discoveryDocument } from "./discovery";
import { ensureSuccessorKeys, jwksDocument, JWKS_MAX_AGE_S, publishedKeysQuery } from "./keys.server";
import { handleRevocationRequest, handleTokenRequest, type EndpointAnswer, type TokenDeps } from "./token-endpoint.server";
import { userInfo } from "./userinfo.server";

type ProviderEnv = { Bindings: Env; Variables: { config: AppConfig; db: Database } };
type ProviderContext = Context<ProviderEnv>;

function depsOf(c: ProviderContext): TokenDeps {
  return {
    db: c.get("db"),
    config: c.get("config"),
    now: () => new Date(),
    kv: c.env.RATE_LIMITS,
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
  };
}

/** Token responses must never be cached (RFC 6749 §5.1). */
const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

/**
 * Runs an endpoint; a D1 outage (thrown as a text/plain 503 by the db layer) becomes JSON, not the HTML
 * status page the Worker renders for pages.
 */
async function jsonEndpoint(c: ProviderContext, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (thrown) {
    const outage = databaseOutage(thrown);
    if (!outage) throw thrown;
    return c.json({ error: "temporarily_unavailable", error_description: await outage.text() }, 503, {
      ...NO_STORE,
      "Retry-After": outage.headers.get("Retry-After") ?? "5",
    });
  }
}

/** The body of a form POST, or null for any other content type (RFC 6749 requires form encoding). */
async function formBody(c: ProviderContext): Promise<URLSearchParams | null> {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return null;
  // Decoded by hand: workerd warns when .text() reads a form body.
  return new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
}

function answer(c: ProviderContext, { status, body, headers }: EndpointAnswer): Response {
  const all = { ...NO_STORE, ...headers };
  return body === null ? c.body(null, status, all) : c.json(body, status, all);
}

const notForm = { status: 400, body: { error: "invalid_request", error_description: "Send the parameters as application/x-www-form-urlencoded." } } as const;

export function oidcProvider() {
  const app = new Hono<ProviderEnv>();
  // No cookies are involved anywhere here, so any origin may call (public clients run in browsers).
  const anyOrigin = cors({ origin: "*", allowHeaders: ["Authorization", "Content-Type"], exposeHeaders: ["WWW-Authenticate"], maxAge: 600 });
  for (const path of ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/oauth/token", "/oauth/userinfo", "/oauth/revoke"]) {
    app.use(path, anyOrigin);
  }

  app.get("/.well-known/openid-configuration", (c) =>
    c.json(discoveryDocument(c.get("config").appUrl), 200, { "Cache-Control": "public, max-age=3600" }),
  );

  app.get("/.well-known/jwks.json", (c) =>
    jsonEndpoint(c, async () => {
      const deps = depsOf(c);
      // Publishing is where a successor key first appears after `npm run keys -- rotate`.
      const keys = await ensureSuccessorKeys(deps, await publishedKeysQuery(deps.db, deps.now()));
      return c.json(jwksDocument(keys), 200, { "Cache-Control": `public, max-age=${JWKS_MAX_AGE_S}` });
    }),
  );

  // OIDC Core §3.1.2.1: the authorization endpoint accepts POST too. It changes nothing by itself, so it
  // becomes the equivalent GET (the Remix page), which is where every check happens.
  app.post("/oauth/authorize", async (c) => {
    const form = await formBody(c);
    if (!form) return c.text("Send the authorization request as a form or as a GET.", 400);
    return c.redirect(`/oauth/authorize?${form}`, 303);
  });

  app.post("/oauth/token", (c) =>
    jsonEndpoint(c, async () => {
      const form = await formBody(c);
      if (!form) return answer(c, notForm);
      const request = { authorization: c.req.header("Authorization") ?? null, form, client: readClientInfo(c.req.raw) };
      return answer(c, await handleTokenRequest(depsOf(c), request));
    }),
  );

  app.post("/oauth/revoke", (c) =>
    jsonEndpoint(c, async () => {
      const form = await formBody(c);
      if (!form) return answer(c, notForm);
      const request = { authorization: c.req.header("Authorization") ?? null, form, client: readClientInfo(c.req.raw) };
      return answer(c, await handleRevocationRequest(depsOf(c), request));
    }),
  );

  app.on(["GET", "POST"], "/oauth/userinfo", (c) =>
    jsonEndpoint(c, async () => {
      // RFC 6750: the token in the Authorization header, or (POST only) as a form field; not both.
      const header = c.req.header("Authorization");
      const fromHeader = header ? /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header)?.[1] ?? "" : null;
      const form = c.req.method === "POST" ? await formBody(c) : null;
      const fromBody = form?.get("access_token") ?? null;
      const challenge = (fields: string) => ({ ...NO_STORE, "WWW-Authenticate": `Bearer realm="latchkey"${fields}` });
      if (fromHeader === "" || (fromHeader !== null && fromBody !== null)) {
        const description = "Send the access token once, as Authorization: Bearer <token>.";
        return c.json({ error: "invalid_request", error_description: description }, 400, challenge(`, error="invalid_request", error_description="${description}"`));
      }
      const token = fromHeader ?? fromBody;
      if (!token) return c.json({ error: "invalid_token", error_description: "No access token." }, 401, challenge(""));
      const result = await userInfo(depsOf(c), { token });
      if (!result.ok) {
        return c.json({ error: result.error, error_description: result.description }, result.status, challenge(`, error="${result.error}", error_description="${result.description}"`));
      }
      return c.json(result.claims, 200, NO_STORE);
    }),
  );

  // Anything else at these JSON endpoints is a JSON 405, not the site's HTML 404 page.
  for (const [path, allow] of [
    ["/oauth/token", "POST"],
    ["/oauth/revoke", "POST"],
    ["/oauth/userinfo", "GET, POST"],
  ] as const) {
    app.all(path, (c) => c.json({ error: "invalid_request", error_description: `Use ${allow}.` }, 405, { Allow: allow }));
  }

  return app;
}
