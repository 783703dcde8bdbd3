/**
 * Atomic groups of statements, read by name. `runBatch(db, { consumed: …, session: … })` sends every
 * statement in ONE D1 batch (a single transaction: all or nothing) and answers `{ consumed, session }`,
 * each typed by its own statement — no result is ever read by position.
 *
 * Statements are drizzle queries: the query builder, or `db.all/get/run(sql\`…\`)` for the conditional
 * statements that need raw SQL. (drizzle-orm 0.45's own `db.batch` can't bind parameters of raw `sql`
 * statements on D1, so this prepares each one itself and lets drizzle map the results.)
 */
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "~/lib/db.server";

type Results<T> = { [K in keyof T]: Exclude<T[K], undefined> extends { _: { result: infer R } } ? R : never };

/** The part of drizzle's prepared query this needs; stable across drizzle's SQLite drivers. */
interface PreparedForBatch {
  getQuery(): { sql: string; params: unknown[] };
  mapResult(result: unknown, isFromBatch: boolean): unknown;
}

export async function runBatch<T extends { [name: string]: BatchItem<"sqlite"> | undefined }>(db: Database, statements: T): Promise<Results<T>> {
  const names = Object.keys(statements).filter((name) => statements[name] !== undefined);
  const prepared = names.map((name) => (statements[name] as unknown as { _prepare(): PreparedForBatch })._prepare());
  const d1 = db.$client;
  const results = await d1.batch(
    prepared.map((query) => {
      const { sql, params } = query.getQuery();
      return d1.prepare(sql).bind(...params);
    }),
  );
  return Object.fromEntries(names.map((name, i) => [name, prepared[i]!.mapResult(results[i], true)])) as Results<T>;
}
