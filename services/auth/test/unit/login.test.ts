import { describe, expect, it } from "vitest";
import type { Credential, CredentialStore } from "../../src/app/ports.js";
import { login } from "../../src/app/login.js";
import type { AttemptBudget } from "../../src/app/ports.js";
import { createArgon2Hasher, type PasswordHasher } from "../../src/security/password-hasher.js";

/** A budget that never refuses (the real one, in PostgreSQL, is tested in test/integration/login-throttle.test.ts). */
const unlimited: AttemptBudget = {
  reservePasswordCheck: async () => ({ succeeded: async () => {}, failed: async () => {} }),
  reserveRegistration: async () => {},
};

/** Counts argon2id verifications instead of running them. */
function countingHasher() {
  const calls = { verify: 0, verifyNothing: 0 };
  const hasher: PasswordHasher = {
    hash: async (password) => `hashed:${password}`,
    verify: async (hash, password) => {
      calls.verify++;
      return hash === `hashed:${password}`;
    },
    verifyNothing: async () => {
      calls.verifyNothing++;
    },
  };
  return { hasher, calls };
}

const ada: Credential = { userId: "u-1", email: "ada@example.com", passwordHash: "hashed:right password", revision: 1 };
const store = { findByEmail: async (email: string) => (email === ada.email ? ada : undefined) } as CredentialStore;
const tokens = { issue: async (userId: string) => ({ token: `token-for-${userId}`, expiresAt: new Date() }) };

describe("login", () => {
  it("does one password verification whether or not the account exists, and fails alike", async () => {
    const { hasher, calls } = countingHasher();
    const run = login({ store, hasher, tokens, throttle: unlimited });
    const unknown = await run({ email: "nobody@example.com", password: "right password", client: "c" }).catch((e: Error) => e);
    const wrong = await run({ email: "ada@example.com", password: "wrong password", client: "c" }).catch((e: Error) => e);
    expect(calls).toEqual({ verify: 1, verifyNothing: 1 });
    expect((unknown as Error).message).toBe("email or password is incorrect");
    expect((wrong as Error).message).toBe((unknown as Error).message);
  });

  it("issues a token for the right password", async () => {
    const { hasher } = countingHasher();
    const run = login({ store, hasher, tokens, throttle: unlimited });
    expect(await run({ email: " ADA@example.com", password: "right password", client: "c" })).toMatchObject({ token: "token-for-u-1", userId: "u-1" });
  });

  it("verifies a password hashed before NFC normalisation, typed as it was then; and one hashed as NFC, typed either way", async () => {
    const hasher = createArgon2Hasher(1);
    const decomposed = "cafe\u0301 au lait, s'il vous plait"; // e + combining acute: NFD, as some keyboards send it
    const composed = decomposed.normalize("NFC");
    expect(composed).not.toBe(decomposed);
    const legacy: Credential = { ...ada, passwordHash: await hasher.hash(decomposed) };
    const legacyStore = { findByEmail: async () => legacy } as unknown as CredentialStore;
    const run = login({ store: legacyStore, hasher, tokens, throttle: unlimited });
    await expect(run({ email: ada.email, password: decomposed, client: "c" })).resolves.toMatchObject({ userId: "u-1" });

    const current: Credential = { ...ada, passwordHash: await hasher.hash(composed) };
    const currentStore = { findByEmail: async () => current } as unknown as CredentialStore;
    const runCurrent = login({ store: currentStore, hasher, tokens, throttle: unlimited });
    await expect(runCurrent({ email: ada.email, password: decomposed, client: "c" })).resolves.toMatchObject({ userId: "u-1" });
    await expect(runCurrent({ email: ada.email, password: composed, client: "c" })).resolves.toMatchObject({ userId: "u-1" });
    await expect(runCurrent({ email: ada.email, password: "cafe au lait, s'il vous plait", client: "c" })).rejects.toThrow("email or password is incorrect");
  });
});
