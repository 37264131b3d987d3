import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database, runMigrations } from "@acme/kit/db";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { createProfileMemoryRepository } from "../../src/db/profile-memory-repository.js";
import { createBatchingProfileRepository, createProfileRepository } from "../../src/db/profile-repository.js";
import { schema } from "../../src/db/schema.js";
import type { ProfileRecord } from "../../src/domain/profile.js";
import { MIGRATIONS_FOLDER } from "../../src/service.js";

type Repository = ReturnType<typeof createProfileMemoryRepository>;

let testDb: TestDatabase;
let database: Database<typeof schema>;
beforeAll(async () => {
  testDb = await createTestDatabase("profile_repository");
  await runMigrations(testDb.url, MIGRATIONS_FOLDER, "profile");
  database = openDatabase(testDb.url, schema, { max: 2 });
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const at = new Date("2026-11-27T12:00:00.000Z");
let n = 0;
const record = (): ProfileRecord => ({
  userId: `user-${++n}`,
  accountEmail: "a@example.com",
  ownDisplayName: null,
  avatarUrl: "",
  revision: 1,
  createdAt: at,
  updatedAt: at,
});

// One suite, both implementations: the fake must not drift from PostgreSQL.
describe.each([
  ["in memory", (): Repository => createProfileMemoryRepository()],
  ["PostgreSQL", (): Repository => createProfileRepository(database.db)],
  ["PostgreSQL, batching (the consumer's)", (): Repository => createBatchingProfileRepository(database.db)],
])("profile repository (%s)", (_name, repository) => {
  it("loads what it saved, and absent for an unknown user", async () => {
    const repo = repository();
    const r = record();
    await repo.save(r);
    expect(await repo.load(r.userId)).toEqual({ kind: "present", record: r });
    await repo.save({ ...r, accountEmail: "b@example.com", revision: 2 });
    expect(await repo.load(r.userId)).toMatchObject({ record: { accountEmail: "b@example.com", revision: 2 } });
    expect(await repo.load("nobody")).toEqual({ kind: "absent" });
  });

  it("answers calls made side by side each with its own row", async () => {
    const repo = repository();
    const records = [record(), record(), record()];
    await Promise.all(records.map((r) => repo.save(r)));
    expect(await Promise.all([...records.map((r) => repo.load(r.userId)), repo.load("nobody")])).toEqual([
      ...records.map((r) => ({ kind: "present", record: r })),
      { kind: "absent" },
    ]);
  });

  it("deletes into a tombstone that keeps the first deletion", async () => {
    const repo = repository();
    const r = record();
    await repo.save(r);
    await repo.delete(r.userId, { revision: 4, at });
    await repo.delete(r.userId, { revision: 5, at });
    expect(await repo.load(r.userId)).toEqual({ kind: "deleted", revision: 4 });
  });

  it("keeps any text as it is and null as null, for rows saved side by side (the batching store sends them as arrays)", async () => {
    const repo = repository();
    const odd = ['quote " and backslash \\', "comma, {braces}", "NULL", "", "émoji 👋 and\nnewline"];
    const records = odd.map((name) => ({ ...record(), accountEmail: `${name}@example.com`, ownDisplayName: name }));
    const plain = { ...record(), ownDisplayName: null };
    await Promise.all([...records, plain].map((r) => repo.save(r)));
    expect(await Promise.all([...records, plain].map((r) => repo.load(r.userId)))).toEqual([...records, plain].map((r) => ({ kind: "present", record: r })));
  });

  it("deletes side by side: each user's first deletion is the tombstone", async () => {
    const repo = repository();
    const [a, b] = [record(), record()];
    await Promise.all([repo.save(a), repo.save(b)]);
    await Promise.all([
      repo.delete(a.userId, { revision: 2, at }),
      repo.delete(b.userId, { revision: 3, at }),
      repo.delete("never-saved", { revision: 7, at }),
    ]);
    expect(await Promise.all([a.userId, b.userId, "never-saved"].map((id) => repo.load(id)))).toEqual([
      { kind: "deleted", revision: 2 },
      { kind: "deleted", revision: 3 },
      { kind: "deleted", revision: 7 },
    ]);
  });

  it("updates the owner's fields only on an existing profile", async () => {
    const repo = repository();
    const r = record();
    await repo.save(r);
    const later = new Date("2026-11-27T13:00:00.000Z");
    expect(await repo.updateOwnFields(r.userId, { ownDisplayName: "Ada" }, later)).toEqual({ ...r, ownDisplayName: "Ada", updatedAt: later });
    expect(await repo.updateOwnFields("nobody", { ownDisplayName: "Ada" }, later)).toBeUndefined();
  });
});
