import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { pruneInbox } from "../../src/consumer/inbox-pruning.js";

describe("pruneInbox", () => {
  let db: TestDatabase | undefined;
  afterAll(() => db?.drop());

  it("deletes applied event ids older than the retention, in chunks, and keeps the rest", async () => {
    db = await createTestDatabase("inbox_pruning");
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create table processed_events (event_id text primary key, processed_at timestamptz not null default now())`;
      await sql`insert into processed_events select 'old-' || i, now() - interval '40 days' from generate_series(1, 25) i`;
      await sql`insert into processed_events select 'new-' || i, now() - interval '1 day' from generate_series(1, 5) i`;
      expect(await pruneInbox(sql, "processed_events", 30 * 86_400_000, 10)).toBe(25);
      const left = await sql<{ event_id: string }[]>`select event_id from processed_events order by 1`;
      expect(left.map((r) => r.event_id)).toEqual(["new-1", "new-2", "new-3", "new-4", "new-5"]);
    } finally {
      await sql.end();
    }
  });
});
