import type { Sql } from "postgres";

/**
 * Deletes inbox rows (applied event ids) older than `retentionMs`, a chunk
 * at a time. The inbox only has to outlive redeliveries and republishes,
 * which come within minutes; a replay of older history is made harmless by
 * the handlers' revision checks and tombstones, not by the inbox.
 */
export async function pruneInbox(sql: Sql, inboxTable: string, retentionMs: number, chunk = 10_000): Promise<number> {
  const cutoff = new Date(Date.now() - retentionMs).toISOString();
  let total = 0;
  for (;;) {
    const deleted = await sql`
      delete from ${sql(inboxTable)} where event_id in (
        select event_id from ${sql(inboxTable)} where processed_at < ${cutoff}::timestamptz limit ${chunk})`;
    total += deleted.count;
    if (deleted.count < chunk) return total;
  }
}
