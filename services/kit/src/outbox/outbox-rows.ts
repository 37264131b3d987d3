import type { Sql } from "postgres";

export interface OutboxRow {
  id: string;
  event_id: string;
  subject: string;
  partition_key: string;
  payload: Buffer;
  headers: Record<string, string>;
}

/**
 * Claims the next batch: every unsent row in id order, with no watermark, so
 * a row whose transaction committed late (a lower id made visible after
 * higher ones) is simply picked up by the next batch instead of being
 * skipped. `beingMarked` are ids whose UPDATE is still running.
 */
export function claimUnsent(sql: Sql, batchSize: number, beingMarked: readonly string[]): Promise<OutboxRow[]> {
  return sql<OutboxRow[]>`
    select id, event_id, subject, partition_key, payload, headers
    from outbox where published_at is null
    ${beingMarked.length > 0 ? sql`and id <> all(${bigintArray(beingMarked)}::bigint[])` : sql``}
    order by id limit ${batchSize}`;
}

/** Deletes up to 10 000 rows sent before `cutoff`; returns how many. */
export async function pruneSent(sql: Sql, cutoff: Date): Promise<number> {
  const deleted = await sql`
    delete from outbox where id in (
      select id from outbox where published_at is not null and published_at < ${cutoff} limit 10000)`;
  return deleted.count;
}

/**
 * Marks rows sent. The last full batch's UPDATE is left running while the
 * next batch is read and published (the next claim skips its ids): the
 * database round trips overlap the publishing instead of adding to it. One
 * UPDATE at a time.
 */
export class SentMarker {
  private marking: { ids: string[]; done: Promise<void> } | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly onMarked: (count: number) => void = () => {},
  ) {}

  /** Ids whose UPDATE is still running. */
  get pendingIds(): readonly string[] {
    return this.marking?.ids ?? [];
  }

  /** Starts the UPDATE for `ids`, after the previous one finished. */
  async start(ids: string[]): Promise<void> {
    await this.finish();
    const done = this.sql`update outbox set published_at = now() where id = any(${bigintArray(ids)}::bigint[])`.then(() => this.onMarked(ids.length));
    done.catch(() => {}); // awaited by finish(); this only keeps Node from calling it unhandled meanwhile
    this.marking = { ids, done };
  }

  /** Waits for the UPDATE in flight, if any; rejects if it failed. */
  async finish(): Promise<void> {
    const current = this.marking;
    this.marking = undefined;
    await current?.done;
  }
}

/**
 * Ids as one array literal in one text parameter: PostgreSQL parses and plans
 * `= any($1::bigint[])` once, where `in ($1, ..., $500)` costs it a parameter
 * and an expression each. (The relay's connections fetch no array types, so a
 * JS array cannot be sent as a typed array parameter.)
 */
function bigintArray(ids: readonly string[]): string {
  return `{${ids.join(",")}}`;
}
