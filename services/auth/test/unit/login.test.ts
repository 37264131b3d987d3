import { describe, expect, it } from "vitest";
import type { Credential, CredentialStore } from "../../src/app/ports.js";
import { login } from "../../src/app/login.js";
import { LoginThrottle } from "../../src/security/login-throttle.js";
import type { PasswordHasher } from "../../src/security/password-hasher.js";

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
    const run = login({ store, hasher, tokens, throttle: new LoginThrottle() });
    const unknown = await run({ email: "nobody@example.com", password: "right password", client: "c" }).catch((e: Error) => e);
    const wrong = await run({ email: "ada@example.com", password: "wrong password", client: "c" }).catch((e: Error) => e);
    expect(calls).toEqual({ verify: 1, verifyNothing: 1 });
    expect((unknown as Error).message).toBe("email or password is incorrect");
    expect((wrong as Error).message).toBe((unknown as Error).message);
  });

  it("issues a token for the right password", async () => {
    const { hasher } = countingHasher();
    const run = login({ store, hasher, tokens, throttle: new LoginThrottle() });
    expect(await run({ email: " ADA@example.com", password: "right password", client: "c" })).toMatchObject({ token: "token-for-u-1", userId: "u-1" });
  });
});
