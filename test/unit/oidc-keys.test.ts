import { describe, expect, it } from "vitest";
import {
  KEY_PUBLISH_AHEAD_MS,
  KEY_RETIREMENT_DELAY_MS,
  TOKEN_LIFETIME_S,
  ensureSuccessorKeys,
  pickSigningKey,
  publishedKeysQuery,
  rotateSigningKeys,
  signerFor,
} from "~/provider/keys.server";
import { db, MINUTE, testClock, testConfig } from "../helpers/deps";

function keyDeps(clock = testClock(), config = testConfig()) {
  return { db, config, now: clock.now, clock };
}

describe("signing keys", () => {
  it("makes an ES256 and an EdDSA key on first use, and signs with them at once", async () => {
    const deps = keyDeps();
    const signer = await signerFor(deps, await publishedKeysQuery(db, deps.now()), "ES256");
    expect(signer.alg).toBe("ES256");
    expect((await publishedKeysQuery(db, deps.now())).map((k) => k.alg)).toEqual(["ES256", "EdDSA"]);
  });

  it("publishes a rotated key before it signs, and keeps the old one until its last token has expired", async () => {
    const deps = keyDeps();
    const keys = await ensureSuccessorKeys(deps, []);
    const old = keys.find((k) => k.alg === "ES256")!;
    deps.clock.advance(40 * 24 * 60 * MINUTE);
    const rotatedAt = deps.now().getTime();
    const [fresh] = (await rotateSigningKeys(deps)).created;

    const at = async (ms: number) => pickSigningKey(await publishedKeysQuery(db, new Date(ms)), "ES256", new Date(ms))?.id;
    expect(await at(rotatedAt + KEY_PUBLISH_AHEAD_MS - 1000)).toBe(old.id);
    expect(await at(rotatedAt + KEY_PUBLISH_AHEAD_MS + 1000)).toBe(fresh);
    // A token the old key signed at the last moment expires TOKEN_LIFETIME_S later: still published then.
    const lastOldToken = rotatedAt + KEY_PUBLISH_AHEAD_MS + TOKEN_LIFETIME_S * 1000;
    const publishedAt = async (ms: number) => (await publishedKeysQuery(db, new Date(ms))).map((k) => k.id);
    expect(await publishedAt(lastOldToken)).toContain(old.id);
    expect(await publishedAt(rotatedAt + KEY_RETIREMENT_DELAY_MS + 1000)).not.toContain(old.id);
  });

  it("opens a private key sealed under an older TOTP_ENCRYPTION_KEY after that secret rotates", async () => {
    const clock = testClock();
    const before = keyDeps(clock, testConfig({ TOTP_ENCRYPTION_KEY: "old-key-0123456789abcdef0123456789abcdef" }));
    await ensureSuccessorKeys(before, []);
    const after = keyDeps(clock, testConfig({ TOTP_ENCRYPTION_KEY: "new-key-0123456789abcdef0123456789abcdef,old-key-0123456789abcdef0123456789abcdef" }));
    const signer = await signerFor(after, await publishedKeysQuery(db, clock.now()), "EdDSA");
    expect(signer.key.type).toBe("private");
  });

  it("can't open a private key without the secret it was sealed under", async () => {
    const clock = testClock();
    await ensureSuccessorKeys(keyDeps(clock, testConfig({ TOTP_ENCRYPTION_KEY: "one-key-0123456789abcdef0123456789abcdef" })), []);
    const stranger = keyDeps(clock, testConfig({ TOTP_ENCRYPTION_KEY: "two-key-0123456789abcdef0123456789abcdef" }));
    await expect(signerFor(stranger, await publishedKeysQuery(db, clock.now()), "ES256")).rejects.toThrow(/no TOTP_ENCRYPTION_KEY decrypts it/);
  });
});
