import type { Message } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { EventMeta, EventRoute } from "./event-route.js";

/** A service's Drizzle database on postgres.js (its schema does not matter here). */
// biome-ignore lint/suspicious/noExplicitAny: any schema will do; Drizzle's database type is invariant in it
export type ConsumerDatabase = PgDatabase<PostgresJsQueryResultHKT, any, any>;
/** The transaction a handler runs in. */
export type TransactionOf<D extends ConsumerDatabase> = Parameters<Parameters<D["transaction"]>[0]>[0];

export interface DecodedEvent<Tx> {
  route: EventRoute<Tx>;
  event: Message;
  meta: EventMeta;
  /** route.key(event): events of one key are applied one at a time, in order. */
  key: string;
}

export type ApplyOutcome = "applied" | "duplicate";

/**
 * Applies events in ONE transaction of the service's database:
 *
 * 1. takes a transaction-scoped advisory lock per key (sorted, so two
 *    instances never deadlock), which serialises one user's events across
 *    every instance sharing the durable consumer;
 * 2. records every event id in the inbox in one statement; ids already there
 *    were applied by an earlier delivery and are skipped;
 * 3. runs the handlers: one key's events in order, different keys side by
 *    side, so postgres.js pipelines their queries on the one connection.
 *
 * Resolves after COMMIT with each event id's outcome; throws if anything
 * failed, and then nothing of the batch is kept.
 */
export async function applyBatch<D extends ConsumerDatabase>(
  db: D,
  inboxTable: string,
  events: DecodedEvent<TransactionOf<D>>[],
  /** Test seam: runs inside the transaction, after the handlers, before COMMIT. */
  beforeCommit?: (eventIds: string[]) => void | Promise<void>,
): Promise<Map<string, ApplyOutcome>> {
  const outcomes = new Map<string, ApplyOutcome>();
  if (events.length === 0) return outcomes;
  await db.transaction(async (tx) => {
    const fresh = await lockKeysAndRecordIds(tx, inboxTable, events);

    const byKey = new Map<string, DecodedEvent<TransactionOf<D>>[]>();
    for (const e of events) {
      if (outcomes.has(e.meta.id)) continue; // the same event twice in one batch
      if (!fresh.has(e.meta.id)) {
        outcomes.set(e.meta.id, "duplicate");
        continue;
      }
      outcomes.set(e.meta.id, "applied");
      const group = byKey.get(e.key) ?? [];
      group.push(e);
      byKey.set(e.key, group);
    }
    // Every handler must be finished before the transaction ends, or a late
    // query could run after ROLLBACK; the first failure names the culprit.
    let failure: BatchFailure | undefined;
    await Promise.all(
      [...byKey.values()].map(async (group) => {
        for (const e of group) {
          if (failure) return;
          try {
            await e.route.handle(e.event, tx, e.meta);
          } catch (error) {
            failure ??= new BatchFailure(e.meta.id, error);
            return;
          }
        }
      }),
    );
    if (failure) throw failure;
    await beforeCommit?.([...outcomes.keys()]);
  });
  return outcomes;
}

/**
 * Steps 1 and 2: takes the keys' locks and records the event ids in the
 * inbox; answers the ids that were not there yet. Both statements go out
 * together (the same call path, in this order, so postgres.js pipelines
 * them on the transaction's one connection): the server still runs them in
 * order, so the inbox insert runs only once every lock is held, and a batch
 * saves a round trip.
 */
async function lockKeysAndRecordIds<Tx extends TransactionOf<ConsumerDatabase>>(tx: Tx, inboxTable: string, events: DecodedEvent<Tx>[]): Promise<Set<string>> {
  const keys = [...new Set(events.map((e) => e.key))];
  const ids = [...new Set(events.map((e) => e.meta.id))];
  const [, inserted] = await Promise.all([
    tx.execute(sql`
      select pg_advisory_xact_lock(h)
      from (select distinct hashtextextended(k, 0) as h from unnest(${sql.param(keys)}::text[]) as k order by h) as locks`),
    tx.execute<{ event_id: string }>(sql`
      insert into ${sql.identifier(inboxTable)} (event_id)
      select unnest(${sql.param(ids)}::text[])
      on conflict do nothing
      returning event_id`),
  ]);
  return new Set(inserted.map((row) => row.event_id));
}

/** A batch was rolled back because applying `eventId` failed with `cause`. */
export class BatchFailure extends Error {
  override readonly name = "BatchFailure";
  constructor(
    readonly eventId: string,
    override readonly cause: unknown,
  ) {
    super(`applying event ${eventId} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
