/**
 * drizzle wraps whatever a D1 statement throws in its own query error, so the 503 Response the db layer
 * throws for an outage (lib/db.server.ts) would reach Remix as an Error and be rendered as a 500. Every
 * route's loader and action is wrapped once, here, so Remix gets the 503 itself and the error boundary
 * says "try again" instead of "something went wrong".
 */
import type { ServerBuild } from "@remix-run/cloudflare";
import { databaseOutage } from "~/lib/db.server";

type RouteModule = ServerBuild["routes"][string]["module"];

export function answeringDatabaseOutages(build: ServerBuild): ServerBuild {
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => [id, { ...route, module: withOutagesAnswered(route.module) }]),
  );
  return { ...build, routes };
}

function withOutagesAnswered(module: RouteModule): RouteModule {
  const { loader, action } = module;
  return {
    ...module,
    ...(loader && { loader: rethrowingOutages(loader) }),
    ...(action && { action: rethrowingOutages(action) }),
  };
}

function rethrowingOutages<Args extends unknown[], Result>(run: (...args: Args) => Result) {
  return async (...args: Args): Promise<Awaited<Result>> => {
    try {
      return await run(...args);
    } catch (thrown) {
      throw databaseOutage(thrown) ?? thrown;
    }
  };
}
