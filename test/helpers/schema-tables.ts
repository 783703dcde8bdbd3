/** The tables of app/db/schema.ts, read from the schema itself, parents after their children. */
import { is } from "drizzle-orm";
import { SQLiteTable, getTableConfig } from "drizzle-orm/sqlite-core";
import * as schema from "~/db/schema";

export interface SchemaTable {
  name: string;
  columns: string[];
  /** Tables this one references. */
  parents: string[];
}

export const SCHEMA_TABLES: SchemaTable[] = (Object.values(schema) as unknown[])
  .filter((value): value is SQLiteTable => is(value, SQLiteTable))
  .map((table) => {
    const config = getTableConfig(table);
    return {
      name: config.name,
      columns: config.columns.map((column) => column.name),
      parents: config.foreignKeys.map((key) => getTableConfig(key.reference().foreignTable).name).filter((name) => name !== config.name),
    };
  });

/** Every table, each before any table it references: an order in which rows can be deleted. */
export function childrenFirst(tables: SchemaTable[] = SCHEMA_TABLES): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const visit = (table: SchemaTable, path: Set<string>) => {
    if (placed.has(table.name) || path.has(table.name)) return;
    path.add(table.name);
    for (const child of tables.filter((t) => t.parents.includes(table.name))) visit(child, path);
    placed.add(table.name);
    order.push(table.name);
  };
  for (const table of tables) visit(table, new Set());
  return order;
}
