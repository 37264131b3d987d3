import { describe, expect, it } from "vitest";
import { TokenIssuer, type SigningKeyStore, type StoredSigningKey } from "../../src/security/token-issuer.js";

/** The signing-key table, in memory (the real one is tested through the service). */
function memoryKeyStore() {
  const keys: StoredSigningKey[] = [];
  const store: SigningKeyStore = {
    async list(keepRetiredMs) {
      const since = Date.now() - keepRetiredMs;
      return keys.filter((k) => !k.retiredAt || k.retiredAt.getTime() > since).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    },
    async rotate(key, newestKid) {
      const newest = [...keys].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
      if (newest?.kid !== newestKid) return;
      for (const k of keys) k.retiredAt ??= new Date();
      keys.push(key);
    },
    async forgetRetired(keepRetiredMs) {
      const since = Date.now() - keepRetiredMs;
      keys.splice(0, keys.length, ...keys.filter((k) => !k.retiredAt || k.retiredAt.getTime() > since));
    },
  };
  return { store, keys };
}

const options = { issuer: "acme-auth", audience: "acme", ttlSeconds: 900 };

describe("TokenIssuer key rotation", () => {
  it("signs with the new key and keeps the previous one published until its tokens expire", async () => {
    const { store, keys } = memoryKeyStore();
    const first = new TokenIssuer({ ...options, store, rotateAfterMs: 3_600_000 });
    await first.refresh();
    const old = await first.issue("user-1");
    const oldKid = keys[0]!.kid;

    keys[0]!.createdAt = new Date(Date.now() - 2 * 3_600_000); // the key is now past its rotation age
    const second = new TokenIssuer({ ...options, store, rotateAfterMs: 3_600_000 });
    await second.refresh();
    expect(keys).toHaveLength(2);
    const fresh = await second.issue("user-2");
    const kidOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).kid as string;
    expect(kidOf(fresh.token)).not.toBe(oldKid);
    expect((await second.jwks()).keys.map((k) => k.kid)).toEqual([kidOf(fresh.token), oldKid]);
    expect(await second.verify(old.token)).toEqual({ userId: "user-1" }); // still valid: published

    keys.find((k) => k.kid === oldKid)!.retiredAt = new Date(Date.now() - (900 + 61) * 1000); // its tokens have all expired
    const third = new TokenIssuer({ ...options, store, rotateAfterMs: 3_600_000 });
    await third.refresh();
    expect((await third.jwks()).keys.map((k) => k.kid)).toEqual([kidOf(fresh.token)]);
    await expect(third.verify(old.token)).rejects.toThrow(/key auth does not publish|invalid/);
  });

  it("two instances starting together make one key", async () => {
    const { store, keys } = memoryKeyStore();
    await Promise.all([1, 2].map(() => new TokenIssuer({ ...options, store, rotateAfterMs: 3_600_000 }).refresh()));
    expect(keys.filter((k) => !k.retiredAt)).toHaveLength(1);
  });
});
