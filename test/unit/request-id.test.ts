import { describe, expect, it } from "vitest";
import { cleanClientRequestId } from "~/worker/middleware/request-id";

describe("cleanClientRequestId", () => {
  it("keeps a client's id only as printable id characters, at most 64", () => {
    expect(cleanClientRequestId("abc-123_x.y:z")).toBe("abc-123_x.y:z");
    expect(cleanClientRequestId("evil\nINFO forged log line")).toBe("evilINFOforgedlogline");
    expect(cleanClientRequestId("x".repeat(500))).toHaveLength(64);
    expect(cleanClientRequestId("\u0000\u0001")).toBeNull();
    expect(cleanClientRequestId(undefined)).toBeNull();
  });
});
