import { defineConfig } from "drizzle-kit";

// Generates plain SQL into migrations/, which `wrangler d1 migrations apply` runs as-is.
export default defineConfig({
  dialect: "sqlite",
  schema: "./app/db/schema/index.ts",
  out: "./migrations",
});
