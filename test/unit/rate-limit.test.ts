import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeRateLimit, retryAfterSeconds } from "~/lib/rate-limit.server";
import { describeWait } from "~/auth/messages";

function deps(now: Date) {
  const pending: Promise<unknown>[] = [];
  return { deps: { kv: env.RATE_LIMITS, now, waitUntil: (p: Promise<unknown>) => void pending.push(p) }, settle: () => Promise.all(pending) };
}

const rate = { limit: 3, windowMs: 600_000 };
const windowStart = Date.UTC(2026, 0, 1, 12, 0, 0); // a multiple of 10 minutes

describe("consumeRateLimit (fixed KV windows)", () => {
  it("allows `limit` requests in a window and refuses the next with the seconds left in the window", async () => {
    for (let i = 0; i < 3; i++) {
      const { deps: d, settle } = deps(new Date(windowStart + i * 1000));
      expect(await consumeRateLimit(d, { name: "t", subject: "1.2.3.4", rate })).toEqual({ ok: true });
      await settle();
    }
    const { deps: d } = deps(new Date(windowStart + 4 * 60_000 + 500));
    // 10:00 window, now 4m0.5s in: 5m59.5s left → 360 s (rounded up).
    expect(await consumeRateLimit(d, { name: "t", subject: "1.2.3.4", rate })).toEqual({ ok: false, retryAfterSeconds: 360 });
  });

  it("starts afresh in the next window, and keeps subjects and names apart", async () => {
    for (let i = 0; i < 3; i++) {
      const { deps: d, settle } = deps(new Date(windowStart));
      await consumeRateLimit(d, { name: "t", subject: "1.2.3.4", rate });
      await settle();
    }
    const other = deps(new Date(windowStart));
    expect((await consumeRateLimit(other.deps, { name: "t", subject: "5.6.7.8", rate })).ok).toBe(true);
    expect((await consumeRateLimit(other.deps, { name: "u", subject: "1.2.3.4", rate })).ok).toBe(true);
    const next = deps(new Date(windowStart + rate.windowMs));
    expect((await consumeRateLimit(next.deps, { name: "t", subject: "1.2.3.4", rate })).ok).toBe(true);
  });

  it("expires its counters with the window (at least KV's 60-second minimum)", async () => {
    const { deps: d, settle } = deps(new Date(windowStart + rate.windowMs - 5000));
    await consumeRateLimit(d, { name: "t", subject: "1.2.3.4", rate });
    await settle();
    const { keys } = await env.RATE_LIMITS.list();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.expiration).toBeGreaterThan(0);
  });
});

describe("retryAfterSeconds and describeWait", () => {
  it("rounds up and never says zero", () => {
    const now = new Date(1_000_000);
    expect(retryAfterSeconds(1_000_001, now)).toBe(1);
    expect(retryAfterSeconds(1_030_000, now)).toBe(30);
    expect(retryAfterSeconds(999_000, now)).toBe(1);
  });

  it.each([
    [1, "1 second"],
    [30, "30 seconds"],
    [61, "2 minutes"],
    [3300, "55 minutes"],
    [3600, "1 hour"],
    [7200, "2 hours"],
  ])("describes %i s as %j", (seconds, words) => {
    expect(describeWait(seconds)).toBe(words);
  });
});
