import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BURST_PERIOD_SECONDS, guessGate, sendGate, type GateDeps } from "~/auth/gates.server";
import { db, testClock, testConfig } from "../helpers/deps";

/** TEST_BURST (vitest.config.ts) is a real simulated Rate Limiting binding: 3 per 60 s. */
const burst = (env as unknown as { TEST_BURST: RateLimit }).TEST_BURST;

function gateDeps(): { deps: GateDeps; settle: () => Promise<unknown> } {
  const pending: Promise<unknown>[] = [];
  const deps: GateDeps = {
    db,
    config: testConfig(),
    kv: env.RATE_LIMITS,
    now: testClock().now,
    waitUntil: (p) => void pending.push(p),
    limiters: { sends: burst, guesses: burst },
  };
  return { deps, settle: () => Promise.all(pending) };
}

const client = (ip: string | null) => ({ ip, userAgent: "vitest", country: null, city: null });

describe("the burst gate in front of the KV windows", () => {
  it("refuses a burst from one client past the binding's limit, before the KV window is spent", async () => {
    const { deps, settle } = gateDeps();
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    for (let i = 0; i < 3; i++) {
      expect(await sendGate(deps, client(ip), "ada@example.com")).toEqual({ ok: true });
      await settle();
    }
    expect(await sendGate(deps, client(ip), "ada@example.com")).toEqual({ ok: false, retryAfterSeconds: BURST_PERIOD_SECONDS });
    await settle();
    // The KV window (20 an hour) counted only the three that passed.
    const { keys } = await env.RATE_LIMITS.list();
    expect(keys).toHaveLength(1);
    expect(await env.RATE_LIMITS.get(keys[0]!.name)).toBe("3");
  });

  it("counts a whole IPv6 /64 as one client", async () => {
    const { deps } = gateDeps();
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;
    for (let i = 1; i <= 3; i++) expect((await guessGate(deps, client(`${prefix}::${i}`), null)).ok).toBe(true);
    expect((await guessGate(deps, client(`${prefix}::99`), null)).ok).toBe(false);
  });

  it.each([null, "127.0.0.1", "::1"])("doesn't apply for client address %s (local runs), leaving the shared KV budget", async (ip) => {
    const { deps } = gateDeps();
    for (let i = 0; i < 5; i++) expect((await sendGate(deps, client(ip), "ada@example.com")).ok).toBe(true);
  });

  it("keys KV counters by a secret-keyed hash, not by the IP or its plain SHA-256", async () => {
    const { deps, settle } = gateDeps();
    await sendGate({ ...deps, limiters: {} }, client("203.0.113.77"), "ada@example.com");
    await settle();
    const plain = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("203.0.113.77")))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    const { keys } = await env.RATE_LIMITS.list();
    expect(keys.length).toBe(1);
    expect(keys[0]!.name).not.toContain("203.0.113.77");
    expect(keys[0]!.name).not.toContain(plain.slice(0, 32));
  });
});
