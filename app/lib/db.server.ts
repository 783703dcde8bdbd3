import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "~/db/schema";

/** What the app queries through: the binding itself, or one request's D1 session (d1-sessions.server.ts). */
export type D1Client = D1Database | D1DatabaseSession;

export type Database = DrizzleD1Database<typeof schema> & { $client: D1Client };

/**
 * `d1` is the binding or a D1 session over it (read replication: the session decides which copy serves
 * each query; both have prepare and batch, all drizzle uses). `onQuery` is told of every D1 round trip
 * (a statement or a batch), e.g. to count them per request.
 */
export function createDb(d1: D1Client, onQuery?: () => void): Database {
  const guarded = guardD1(d1, onQuery);
  const db = drizzle(guarded as D1Database, { schema });
  const batch = db.batch.bind(db);
  // drizzle 0.45's D1 batch binds values through the query's own prepared statement, which raw queries
  // (db.all / db.get / db.run with the `sql` template) don't have: with values in them it fails with
  // "Cannot read properties of undefined (reading 'bind')". Give them one, then batch as usual.
  db.batch = ((queries: readonly unknown[]) => {
    for (const query of queries as RawQuery[]) {
      const prepared = query._prepare();
      if (prepared === query && !("stmt" in query)) Object.assign(query, { stmt: guarded.prepare(query.getQuery().sql) });
    }
    return batch(queries as Parameters<typeof batch>[0]);
  }) as unknown as typeof db.batch;
  return db as Database;
}

interface RawQuery {
  _prepare(): unknown;
  getQuery(): { sql: string };
}

/**
 * A D1 failure (outage, overload, a query the runtime rejects) becomes a thrown 503 Response: Remix
 * renders it through the error boundary and the Worker passes it through, so the person sees "try
 * again" instead of a generic 500. D1 batches are transactions, so a failure leaves nothing half-written.
 */
export function databaseUnavailable(error: unknown): never {
  console.error("D1 query failed", error);
  throw new Response("Latchkey's database is unavailable. Please try again in a moment.", {
    status: 503,
    statusText: "Service Unavailable",
    headers: { "Retry-After": "5" },
  });
}

/**
 * The 503 Response a D1 failure was thrown as, or null when `thrown` is something else. drizzle wraps
 * whatever a statement throws in its own query error (its `cause`), so the chain is followed.
 */
export function databaseOutage(thrown: unknown): Response | null {
  for (let error = thrown, depth = 0; error && depth < 4; error = (error as { cause?: unknown }).cause, depth++) {
    if (error instanceof Response) return error.status === 503 && error.headers.get("Content-Type")?.startsWith("text/plain") ? error : null;
    if (typeof error !== "object") return null;
  }
  return null;
}

const originals = new WeakMap<object, D1PreparedStatement>();

function guardStatement(statement: D1PreparedStatement, onQuery?: () => void): D1PreparedStatement {
  const guarded = new Proxy(statement, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "bind") return (...args: unknown[]) => guardStatement(value.apply(target, args), onQuery);
      return (...args: unknown[]) => {
        onQuery?.();
        const result: unknown = value.apply(target, args);
        return result instanceof Promise ? result.catch(databaseUnavailable) : result;
      };
    },
  });
  originals.set(guarded, statement);
  return guarded;
}

function guardD1<T extends D1Client>(d1: T, onQuery?: () => void): T {
  return new Proxy(d1, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "prepare") {
        return (query: string) => {
          try {
            return guardStatement(value.call(target, query), onQuery);
          } catch (error) {
            return databaseUnavailable(error);
          }
        };
      }
      if (property === "batch") {
        // D1 needs its own statement objects back, not our wrappers.
        return async (statements: D1PreparedStatement[]) => {
          onQuery?.();
          try {
            return await value.call(target, statements.map((s) => originals.get(s) ?? s));
          } catch (error) {
            return databaseUnavailable(error);
          }
        };
      }
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        return result instanceof Promise ? result.catch(databaseUnavailable) : result;
      };
    },
  });
}
