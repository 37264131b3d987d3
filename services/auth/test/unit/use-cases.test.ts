import { describe, expect, it } from "vitest";
import { changeEmail } from "../../src/app/change-email.js";
import { deleteAccount } from "../../src/app/delete-account.js";
import type { Credential } from "../../src/app/ports.js";
import { register } from "../../src/app/register.js";
import { createUseCases } from "../../src/app/use-cases.js";
import { fakeHasher, memoryCredentialStore, recordingBudget, recordingEvents } from "../support/use-case-fakes.js";

const PASSWORD = "correct horse battery staple";
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const ada: Credential = { userId: "u-ada", email: "ada@example.com", passwordHash: `hashed:${PASSWORD}`, revision: 3 };

/** Every port faked; `seed` are the accounts already there. */
function world(options: { seed?: Credential[]; failingHash?: boolean; refuse?: boolean } = {}) {
  const store = memoryCredentialStore(options.seed);
  const hashing = fakeHasher({ failing: options.failingHash ?? false });
  const budget = recordingBudget({ refuse: options.refuse ?? false });
  const events = recordingEvents();
  const deps = { store: store.store, hasher: hashing.hasher, throttle: budget.throttle, events: events.events };
  return { deps, store, hashing, budget, events };
}

describe("register", () => {
  it("stores the account with the hash of its NFC password and exactly one UserRegistered, the one the builder built", async () => {
    const w = world();
    const decomposed = "cafe\u0301 au lait, s'il vous plait";
    const { userId } = await register(w.deps)({ email: " Ada@Example.com ", password: decomposed, client: "10.0.0.1", traceparent: TRACEPARENT });

    expect(w.store.credentials.get(userId)).toEqual({ userId, email: "ada@example.com", passwordHash: `hashed:${decomposed.normalize("NFC")}`, revision: 1 });
    expect(w.events.built).toHaveLength(1);
    expect(w.events.built[0]).toMatchObject({ kind: "registered", fact: { userId, email: "ada@example.com" }, traceparent: TRACEPARENT });
    expect(w.store.outbox).toHaveLength(1);
    expect(w.store.outbox[0]).toBe(w.events.built[0]?.event);
    expect(w.budget.log).toEqual(["register 10.0.0.1"]);
  });

  it("a failed hash changes nothing: no account, no event", async () => {
    const w = world({ failingHash: true });
    await expect(register(w.deps)({ email: "ada@example.com", password: PASSWORD, client: "c" })).rejects.toThrow("hashing worker crashed");
    expect(w.store.credentials.size).toBe(0);
    expect(w.events.built).toEqual([]);
    expect(w.store.outbox).toEqual([]);
  });

  it("a malformed request costs neither a hash nor the client's registration budget", async () => {
    const w = world();
    const run = register(w.deps);
    await expect(run({ email: "not an email", password: PASSWORD, client: "c" })).rejects.toMatchObject({ code: "AUTH.INVALID_EMAIL" });
    await expect(run({ email: "ada@example.com", password: "password123", client: "c" })).rejects.toMatchObject({ code: "AUTH.INVALID_PASSWORD" });
    expect(w.budget.log).toEqual([]);
    expect(w.hashing.calls.hash).toBe(0);
  });

  it("a refused budget: no hash, nothing stored", async () => {
    const w = world({ refuse: true });
    await expect(register(w.deps)({ email: "ada@example.com", password: PASSWORD, client: "c" })).rejects.toMatchObject({
      code: "AUTH.TOO_MANY_ATTEMPTS",
      retryAfterSeconds: 5,
    });
    expect(w.hashing.calls.hash).toBe(0);
    expect(w.store.credentials.size).toBe(0);
    expect(w.store.outbox).toEqual([]);
  });

  it("an email already taken (in another case) adds no account and no event", async () => {
    const w = world({ seed: [ada] });
    await expect(register(w.deps)({ email: "ADA@example.com", password: PASSWORD, client: "c" })).rejects.toMatchObject({ code: "AUTH.EMAIL_TAKEN" });
    expect(w.store.credentials.size).toBe(1);
    expect(w.store.outbox).toEqual([]);
  });
});

describe("changeEmail", () => {
  it("with the right password: the new email and one UserEmailChanged for the store's next revision", async () => {
    const w = world({ seed: [ada] });
    const result = await changeEmail(w.deps)({ userId: ada.userId, newEmail: "Ada@Example.org", currentPassword: PASSWORD, traceparent: TRACEPARENT });

    expect(result).toEqual({ email: "ada@example.org" });
    expect(w.store.credentials.get(ada.userId)).toMatchObject({ email: "ada@example.org", revision: 4 });
    expect(w.events.built.map(({ kind, fact, traceparent }) => ({ kind, fact, traceparent }))).toEqual([
      { kind: "email_changed", fact: { userId: ada.userId, email: "ada@example.org", at: expect.any(Date), revision: 4 }, traceparent: TRACEPARENT },
    ]);
    expect(w.store.outbox).toEqual([w.events.built[0]?.event]);
    expect(w.budget.log).toEqual(["check ada@example.com", "succeeded ada@example.com"]);
  });

  it("the same email in another spelling changes nothing and publishes nothing", async () => {
    const w = world({ seed: [ada] });
    await expect(changeEmail(w.deps)({ userId: ada.userId, newEmail: " ADA@example.com", currentPassword: PASSWORD })).resolves.toEqual({
      email: "ada@example.com",
    });
    expect(w.store.credentials.get(ada.userId)?.revision).toBe(3);
    expect(w.store.outbox).toEqual([]);
  });

  it("a wrong password changes nothing and spends one check of the account's budget", async () => {
    const w = world({ seed: [ada] });
    await expect(changeEmail(w.deps)({ userId: ada.userId, newEmail: "eve@example.com", currentPassword: "wrong password" })).rejects.toMatchObject({
      code: "AUTH.BAD_CREDENTIALS",
    });
    expect(w.store.credentials.get(ada.userId)).toEqual(ada);
    expect(w.events.built).toEqual([]);
    expect(w.budget.log).toEqual(["check ada@example.com", "failed ada@example.com"]);
  });

  it("a refused budget: no password verification, no change", async () => {
    const w = world({ seed: [ada], refuse: true });
    await expect(changeEmail(w.deps)({ userId: ada.userId, newEmail: "eve@example.com", currentPassword: PASSWORD })).rejects.toMatchObject({
      code: "AUTH.TOO_MANY_ATTEMPTS",
    });
    expect(w.hashing.calls.verify).toBe(0);
    expect(w.store.credentials.get(ada.userId)).toEqual(ada);
  });

  it("an account deleted meanwhile: ACCOUNT_NOT_FOUND before any password check", async () => {
    const w = world();
    await expect(changeEmail(w.deps)({ userId: ada.userId, newEmail: "eve@example.com", currentPassword: PASSWORD })).rejects.toMatchObject({
      code: "AUTH.ACCOUNT_NOT_FOUND",
    });
    expect(w.hashing.calls.verify).toBe(0);
    expect(w.budget.log).toEqual([]);
  });
});

describe("deleteAccount", () => {
  it("with the right password: the credentials go and one UserDeleted is written for the next revision", async () => {
    const w = world({ seed: [ada] });
    await deleteAccount(w.deps)({ userId: ada.userId, currentPassword: PASSWORD, traceparent: TRACEPARENT });
    expect(w.store.credentials.has(ada.userId)).toBe(false);
    expect(w.events.built.map(({ kind, fact, traceparent }) => ({ kind, fact, traceparent }))).toEqual([
      { kind: "deleted", fact: { userId: ada.userId, at: expect.any(Date), revision: 4 }, traceparent: TRACEPARENT },
    ]);
    expect(w.store.outbox).toEqual([w.events.built[0]?.event]);
  });

  it("a wrong password deletes nothing and publishes nothing", async () => {
    const w = world({ seed: [ada] });
    await expect(deleteAccount(w.deps)({ userId: ada.userId, currentPassword: "wrong password" })).rejects.toMatchObject({ code: "AUTH.BAD_CREDENTIALS" });
    expect(w.store.credentials.get(ada.userId)).toEqual(ada);
    expect(w.store.outbox).toEqual([]);
  });
});

describe("createUseCases", () => {
  it("binds every use case to the same ports: who registers can log in, and the token issuer checks tokens", async () => {
    const w = world();
    const issued: string[] = [];
    const tokens = {
      issue: async (userId: string) => {
        issued.push(userId);
        return { token: `token-for-${userId}`, expiresAt: new Date(0) };
      },
      verify: async (token: string) => ({ userId: token.replace("token-for-", "") }),
    };
    const useCases = createUseCases({ ...w.deps, tokens });
    const { userId } = await useCases.register({ email: "ada@example.com", password: PASSWORD, client: "c" });
    const login = await useCases.login({ email: "ada@example.com", password: PASSWORD, client: "c" });
    expect(login).toMatchObject({ token: `token-for-${userId}`, userId });
    expect(issued).toEqual([userId]);
    await expect(useCases.verifyToken(login.token)).resolves.toMatchObject({ userId });
  });
});
