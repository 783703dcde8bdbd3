import { describe, expect, it } from "vitest";
import { get } from "../helpers/app";

describe("GET /healthz", () => {
  it("answers 200 JSON after checking D1", async () => {
    const response = await get("/healthz");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ status: "ok", db: "ok" });
  });
});
