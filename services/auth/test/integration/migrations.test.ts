import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { runMigrations } from "@acme/kit/db";
import { OUTBOX_CHANNEL, parseNotifiedRows } from "@acme/kit/outbox";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { firstMigrations } from "@acme/testing/migrations";
import { MIGRATIONS_FOLDER } from "../../src/service.js";

describe("auth migrations", () => {
  let db: TestDatabase | undefined;
  afterAll(() => db?.drop());

  it("0002 renames email to contact_email and moves password hashes, keeping existing accounts", async () => {
    db = await createTestDatabase("auth_migrations");
    await runMigrations(db.url, await firstMigrations(MIGRATIONS_FOLDER, 2), "auth");
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql`insert into credentials (user_id, email, password_hash) values ('6d1f7a8e-2b9c-4a53-9d0e-3f1c2b4a5d6e', 'old@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA')`;
      await runMigrations(db.url, MIGRATIONS_FOLDER, "auth");
      await runMigrations(db.url, MIGRATIONS_FOLDER, "auth"); // a second run changes nothing
      const columns = await sql<{ column_name: string }[]>`
        select column_name from information_schema.columns where table_name = 'credentials' order by column_name`;
      expect(columns.map((c) => c.column_name)).toEqual(["contact_email", "created_at", "revision", "updated_at", "user_id"]);
      const [row] = await sql`
        select c.contact_email, p.hash from credentials c join passwords p using (user_id)
        where c.user_id = '6d1f7a8e-2b9c-4a53-9d0e-3f1c2b4a5d6e'`;
      expect(row).toEqual({ contact_email: "old@example.com", hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" });
    } finally {
      await sql.end();
    }
  });

  it("0004 makes each outbox insert NOTIFY the relay with the rows it inserted, and with '' when they do not fit", async () => {
    const outboxDb = await createTestDatabase("auth_outbox_notify");
    const sql = postgres(outboxDb.url, { max: 2, onnotice: () => {} });
    try {
      await runMigrations(outboxDb.url, MIGRATIONS_FOLDER, "auth");
      const payloads: string[] = [];
      await sql.listen(OUTBOX_CHANNEL, (payload) => payloads.push(payload));
      const row = (key: string, size: number) => ({
        event_id: crypto.randomUUID(),
        subject: "auth.v1.user.registered",
        partition_key: key,
        payload: Buffer.alloc(size, 7),
        headers: sql.json({ "ce-type": "acme.auth.v1.UserRegistered" }),
      });
      await sql`insert into outbox ${sql([row("a", 10), row("b", 20)])}`;
      await sql`insert into outbox ${sql([row("c", 9_000)])}`;
      await sql`insert into outbox ${sql(Array.from({ length: 21 }, (_, i) => row(`bulk${i}`, 1)))}`;
      while (payloads.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      const stored = await sql`select id, event_id, subject, partition_key, payload, headers from outbox where partition_key in ('a', 'b') order by id`;
      expect(parseNotifiedRows(payloads[0]!)).toEqual(stored.map((r) => ({ ...r, payload: Buffer.from(r.payload) })));
      expect(payloads.slice(1)).toEqual(["", ""]); // too large; too many rows to try
    } finally {
      await sql.end();
      await outboxDb.drop();
    }
  });
});
