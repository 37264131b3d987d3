import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database, runMigrations } from "@acme/kit/db";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { createContactMemoryRepository } from "../../src/db/contact-memory-repository.js";
import { createBatchingContactRepository, createContactRepository } from "../../src/db/contact-repository.js";
import { schema } from "../../src/db/schema.js";
import type { BillingContactRecord } from "../../src/domain/billing-contact.js";
import { MIGRATIONS_FOLDER } from "../../src/service.js";

type Repository = ReturnType<typeof createContactMemoryRepository>;

let testDb: TestDatabase;
let database: Database<typeof schema>;
beforeAll(async () => {
  testDb = await createTestDatabase("billing_repository");
  await runMigrations(testDb.url, MIGRATIONS_FOLDER, "billing");
  database = openDatabase(testDb.url, schema, { max: 2 });
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const at = new Date("2026-11-27T12:00:00.000Z");
let n = 0;
const record = (): BillingContactRecord => ({
  userId: `user-${++n}`,
  accountEmail: "a@example.com",
  ownBillingEmail: null,
  address: null,
  revision: 1,
  createdAt: at,
  updatedAt: at,
});
const address = { line1: "1 Main Street", line2: "", city: "Berlin", postalCode: "10115", countryCode: "DE" };

// One suite, both implementations: the fake must not drift from PostgreSQL.
describe.each([
  ["in memory", (): Repository => createContactMemoryRepository()],
  ["PostgreSQL", (): Repository => createContactRepository(database.db)],
  ["PostgreSQL, batching (the consumer's)", (): Repository => createBatchingContactRepository(database.db)],
])("billing contact repository (%s)", (_name, repository) => {
  it("loads what it saved, and absent for an unknown user", async () => {
    const repo = repository();
    const r = record();
    await repo.save(r);
    expect(await repo.load(r.userId)).toEqual({ kind: "present", record: r });
    await repo.save({ ...r, accountEmail: "b@example.com", revision: 2, address });
    expect(await repo.load(r.userId)).toEqual({ kind: "present", record: { ...r, accountEmail: "b@example.com", revision: 2, address } });
    expect(await repo.load("nobody")).toEqual({ kind: "absent" });
  });

  it("answers calls made side by side each with its own row", async () => {
    const repo = repository();
    const records = [record(), { ...record(), address }, record()];
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

  it("updates the owner's fields only on an existing contact", async () => {
    const repo = repository();
    const r = record();
    await repo.save(r);
    const later = new Date("2026-11-27T13:00:00.000Z");
    expect(await repo.updateOwnFields(r.userId, { address }, later)).toEqual({ ...r, address, updatedAt: later });
    expect(await repo.updateOwnFields(r.userId, { ownBillingEmail: "i@corp.example" }, later)).toEqual({
      ...r,
      address,
      ownBillingEmail: "i@corp.example",
      updatedAt: later,
    });
    expect(await repo.updateOwnFields(r.userId, { ownBillingEmail: null }, later)).toEqual({ ...r, address, updatedAt: later });
    expect(await repo.updateOwnFields("nobody", { address }, later)).toBeUndefined();
  });
});
