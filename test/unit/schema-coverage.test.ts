import { describe, expect, it } from "vitest";
import { ACCOUNT_DELETION } from "~/auth/account/deletion.server";
import { NOT_ME_COVERS, NOT_ME_KEEPS } from "~/auth/account/not-me.server";
import { NOT_PURGED, PURGE } from "~/auth/housekeeping.server";
import { childrenFirst, SCHEMA_TABLES } from "../helpers/schema-tables";

const names = SCHEMA_TABLES.map((table) => table.name);
const withUserId = SCHEMA_TABLES.filter((table) => table.columns.includes("user_id")).map((table) => table.name);

describe("the schema is the list of tables", () => {
  it("finds every table of the schema, and the ones that hold a user_id", () => {
    expect(names).toContain("users");
    expect(names.length).toBeGreaterThanOrEqual(20);
    expect(withUserId).toEqual(expect.arrayContaining(["sessions", "passkeys", "oauth_grants"]));
  });

  it("has account deletion handle every table holding a user_id (the account's own rows), and only real tables", () => {
    const handled = Object.keys(ACCOUNT_DELETION);
    expect(withUserId.filter((table) => !handled.includes(table))).toEqual([]);
    expect(handled.filter((table) => !names.includes(table))).toEqual([]);
    // The user row goes last, after everything that references it.
    expect(handled.at(-1)).toBe("users");
  });

  it("has \"this wasn't me\" act on, or say why it keeps, every table holding a user_id", () => {
    const decided = [...NOT_ME_COVERS, ...Object.keys(NOT_ME_KEEPS)];
    expect(withUserId.filter((table) => !decided.includes(table))).toEqual([]);
    expect(decided.filter((table) => !names.includes(table))).toEqual([]);
  });

  it("has the daily purge sweep, or say why it leaves, every table", () => {
    const decided = [...Object.keys(PURGE), ...Object.keys(NOT_PURGED)];
    expect(names.filter((table) => !decided.includes(table))).toEqual([]);
    expect(decided.filter((table) => !names.includes(table))).toEqual([]);
  });

  it("orders tables so each comes before the tables it references", () => {
    const order = childrenFirst();
    expect(new Set(order).size).toBe(names.length);
    for (const table of SCHEMA_TABLES) {
      for (const parent of table.parents) expect(order.indexOf(table.name), `${table.name} before ${parent}`).toBeLessThan(order.indexOf(parent));
    }
  });
});
