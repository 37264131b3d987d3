import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase, pgAdminUrl, testNamespace } from "../src/harness.js";

describe("test harness", () => {
  const toDrop: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of toDrop) await drop();
  });

  it("gives each caller its own empty database", async () => {
    const a = await createTestDatabase("harness");
    const b = await createTestDatabase("harness");
    toDrop.push(a.drop, b.drop);
    expect(a.name).not.toBe(b.name);
    const sql = postgres(a.url, { max: 1 });
    await sql`create table marker (id int)`;
    const [row] = await sql<{ db: string }[]>`select current_database() as db`;
    await sql.end();
    expect(row?.db).toBe(a.name);
    const other = postgres(b.url, { max: 1 });
    const tables = await other`select 1 from pg_tables where tablename = 'marker'`;
    await other.end();
    expect(tables).toHaveLength(0);
  });

  it("refuses to drop a database it did not create", async () => {
    const admin = postgres(pgAdminUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database test_not_ours_harness`);
    try {
      await expect(dropTestDatabase("test_not_ours_harness")).rejects.toThrow(/not created by this test harness/);
      await expect(dropTestDatabase("postgres")).rejects.toThrow(/refusing/);
      const still = await admin`select 1 from pg_database where datname = 'test_not_ours_harness'`;
      expect(still).toHaveLength(1);
    } finally {
      await admin.unsafe(`drop database test_not_ours_harness`);
      await admin.end();
    }
  });

  it("dropping really removes the database", async () => {
    const db = await createTestDatabase("harness");
    await db.drop();
    const admin = postgres(pgAdminUrl(), { max: 1 });
    const rows = await admin`select 1 from pg_database where datname = ${db.name}`;
    await admin.end();
    expect(rows).toHaveLength(0);
  });

  it("gives distinct stream and subject names per namespace", () => {
    const a = testNamespace();
    const b = testNamespace();
    expect(a.stream("AUTH_EVENTS")).toMatch(/^AUTH_EVENTS_[0-9A-F]{8}$/);
    expect(a.stream("AUTH_EVENTS")).not.toBe(b.stream("AUTH_EVENTS"));
    expect(a.subjectPrefix("auth.events")).not.toBe(b.subjectPrefix("auth.events"));
  });
});
