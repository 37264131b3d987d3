import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, runMigrations } from "@acme/kit/db";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { firstMigrations } from "@acme/testing/migrations";
import { claimDueMails, recordMails, type NewMail } from "../../src/db/mail-outbox.js";
import { schema } from "../../src/db/schema.js";
import { renderMail } from "../../src/domain/templates.js";
import { MIGRATIONS_FOLDER } from "../../src/migrations.js";

const MAILS = 40;
const rendered = renderMail("welcome", { to: "someone@example.com", at: new Date("2026-12-01T10:00:00Z") });
const mail = (i: number): NewMail => ({
  eventId: `event-${i}`,
  template: "welcome",
  userId: `user-${i}`,
  toAddress: `someone${i}@example.com`,
  subject: rendered.subject,
  textBody: rendered.text,
  htmlBody: rendered.html,
  messageId: `<event-${i}.welcome@notifications.acme.test>`,
  traceparent: null,
});

/** Queues MAILS mails in one statement, claims them all in one, and counts the claim's HOT updates (this transaction's own count). */
async function hotUpdatesOfOneClaim(url: string): Promise<{ claimed: number; hot: number; fillfactor: string | undefined }> {
  const db = openDatabase(url, schema, { max: 1 });
  try {
    await recordMails(
      db.db,
      Array.from({ length: MAILS }, (_, i) => mail(i)),
    );
    return await db.db.transaction(async (tx) => {
      const claimed = await claimDueMails(tx, MAILS, 60_000);
      const [row] = await tx.execute<{ hot: string; options: string[] | null }>(sql`
        select pg_stat_get_xact_tuples_hot_updated('mails'::regclass) as hot, (select reloptions from pg_class where oid = 'mails'::regclass) as options`);
      const fillfactor = row?.options?.find((option) => option.startsWith("fillfactor="));
      return { claimed: claimed.length, hot: Number(row?.hot), fillfactor };
    });
  } finally {
    await db.close();
  }
}

describe("notifications migrations", () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  it("0001 leaves half of each page of mails free, so that a claim rewrites every row it takes on its own page (HOT)", async () => {
    const before = await createTestDatabase("notifications_mails_packed");
    databases.push(before);
    const folder = await firstMigrations(MIGRATIONS_FOLDER, 1);
    await runMigrations(before.url, folder, "notifications");
    await rm(dirname(folder), { recursive: true, force: true });
    const packed = await hotUpdatesOfOneClaim(before.url);
    expect(packed.claimed).toBe(MAILS);
    expect(packed.fillfactor).toBeUndefined();
    expect(packed.hot).toBeLessThan(MAILS); // full pages: most new versions go elsewhere, with new index entries

    const after = await createTestDatabase("notifications_mails_fillfactor");
    databases.push(after);
    await runMigrations(after.url, MIGRATIONS_FOLDER, "notifications");
    await runMigrations(after.url, MIGRATIONS_FOLDER, "notifications"); // a second run changes nothing
    expect(await hotUpdatesOfOneClaim(after.url)).toEqual({ claimed: MAILS, hot: MAILS, fillfactor: "fillfactor=50" });
  });
});
