import type { JetStreamClient } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import type { Sql } from "postgres";
import { Counter, Gauge, type Registry } from "prom-client";
import { postgresClient, reconnectBackoff } from "../db/database.js";
import type { Logger } from "../logging.js";
import { ATTR, contextFromTraceparent, linkTo, recordFailure, SpanKind, trace, type Tracer } from "../observability/spans.js";
import { OUTBOX_CHANNEL } from "./outbox-table.js";
import { Wakeup } from "./wakeup.js";

export interface OutboxRelayOptions {
  /** The producer's own database (it holds the `outbox` table). */
  databaseUrl: string;
  js: JetStreamClient;
  logger: Logger;
  /** Rows claimed and published at a time. */
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (NOTIFY is only a hint). */
  pollIntervalMs?: number;
  /**
   * After a wake-up, wait this long for more commits before reading: under
   * load one batch then carries many rows instead of one row per commit.
   */
  coalesceMs?: number;
  /** How long a standby waits between attempts to become the relay. */
  leaderRetryMs?: number;
  /** Sent rows are kept this long, to republish after a broker lost data. */
  retentionMs?: number;
  publishTimeoutMs?: number;
  /** One relay per database holds this advisory lock. */
  lockName?: string;
  registry?: Registry;
  /** The service's tracer: a messaging `send` span per published row. */
  tracer?: Tracer;
  /**
   * This process's service.instance.id: the lock connection's
   * application_name carries it, so GetOutboxStatus can say which instance relays.
   */
  instanceId?: string;
  /**
   * Test seam (off by default): runs after each JetStream ack, before the
   * row is marked sent. tools/faults kills the process here to prove a
   * republish after a crash changes nothing.
   */
  onPublished?: (eventId: string) => void;
}

export interface OutboxRelay {
  isLeader(): boolean;
  /** Finishes the batch in flight (publish and mark), then releases leadership. */
  stop(): Promise<void>;
}

interface OutboxRow {
  id: string;
  event_id: string;
  subject: string;
  partition_key: string;
  payload: Buffer;
  headers: Record<string, string>;
}

const MAX_BACKOFF_MS = 5_000;
const PRUNE_EVERY_MS = 60_000;

/**
 * Publishes outbox rows to JetStream and marks them sent after the ack.
 *
 * Exactly one instance relays at a time (a session advisory lock on a
 * connection of its own); the others stand by and take over within about
 * `leaderRetryMs` when the relay's connection dies. The lock is re-asserted
 * before every batch, so a relay whose connection was silently replaced
 * steps down if another instance took over meanwhile. One publisher is what
 * keeps a user's events in order: several relays claiming rows with
 * SKIP LOCKED could publish one user's second event before its first.
 *
 * Each batch takes every unsent row in id order, with no watermark, so a row
 * whose transaction committed late (a lower id made visible after higher
 * ones) is simply picked up by the next batch instead of being skipped.
 * Rows of one partition key are published one after another, different keys
 * concurrently; a failure stops that key's chain so nothing overtakes it.
 * A crash between ack and mark republishes with the same Nats-Msg-Id:
 * JetStream drops it inside the duplicate window, consumers' inboxes after.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { js, logger } = options;
  // Connections of its own: the service's pool stays free for RPCs, and the
  // lock lives on a single plain connection (not one reserved from a pool:
  // postgres.js 3.4.9 can crash the process when a reserved connection's
  // server goes away).
  // No array parameters here, so no fetch of array types either: postgres.js
  // 3.4.9 leaves that fetch's failure unhandled, which kills the process when
  // the database goes away during a reconnect (porsager/postgres#1192).
  const reconnect = { onnotice: () => {}, fetch_types: false, backoff: reconnectBackoff };
  const sql = postgresClient(options.databaseUrl, { ...reconnect, max: 2, connection: { application_name: "outbox-relay" } });
  const lockSql = postgresClient(options.databaseUrl, { ...reconnect, max: 1, connection: { application_name: relayLockApplicationName(options.instanceId) } });
  const tracer = options.tracer ?? trace.getTracer("@acme/kit");
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const coalesceMs = options.coalesceMs ?? 5;
  const leaderRetryMs = options.leaderRetryMs ?? 1_000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const lockName = options.lockName ?? DEFAULT_RELAY_LOCK_NAME;
  const metrics = relayMetrics(sql, options.registry);

  const wakeup = new Wakeup();
  let stopped = false;
  let leader = false;
  let lastPrune = 0;
  let failureStreak = 0;
  let lockCheckedAt = 0;

  sql.listen(OUTBOX_CHANNEL, () => wakeup.poke()).catch((error: unknown) => {
    logger.warn({ reason: (error as Error).message }, "outbox relay: LISTEN failed; relying on polling");
  });

  /** True while this instance holds the relay lock (session locks are re-entrant). */
  async function holdsLock(): Promise<boolean> {
    const [row] = await lockSql<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext(${lockName})) as locked`;
    return row?.locked === true;
  }

  async function publishBatch(rows: OutboxRow[]): Promise<{ sent: string[]; error?: unknown }> {
    const chains = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const chain = chains.get(row.partition_key);
      if (chain) chain.push(row);
      else chains.set(row.partition_key, [row]);
    }
    const sent: string[] = [];
    let firstError: unknown;
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        for (const row of chain) {
          const hdrs = natsHeaders();
          for (const [key, value] of Object.entries(row.headers)) hdrs.set(key, value);
          // The relay runs outside the request: its send span continues the trace of the row's create span and links it.
          const span = tracer.startSpan(
            `send ${row.subject}`,
            {
              kind: SpanKind.PRODUCER,
              attributes: {
                [ATTR.messagingSystem]: "nats",
                [ATTR.messagingOperationType]: "send",
                [ATTR.messagingOperationName]: "publish",
                [ATTR.messagingDestination]: row.subject,
                [ATTR.messagingMessageId]: row.event_id,
                [ATTR.eventType]: row.headers["ce-type"] ?? "",
              },
              links: linkTo(row.headers.traceparent),
            },
            contextFromTraceparent(row.headers.traceparent),
          );
          try {
            const ack = await js.publish(row.subject, row.payload, { msgID: row.event_id, headers: hdrs, timeout: publishTimeoutMs });
            span.setAttribute("acme.stream.sequence", ack.seq);
            if (ack.duplicate) span.setAttribute("acme.publish.duplicate", true);
            options.onPublished?.(row.event_id);
            sent.push(row.id);
          } catch (error) {
            recordFailure(span, error);
            firstError ??= error;
            return; // later rows of this key wait for the next batch, in order
          } finally {
            span.end();
          }
        }
      }),
    );
    return { sent, error: firstError };
  }

  /**
   * The last full batch's UPDATE, left running while the next batch is read
   * and published (the next SELECT skips its ids): the database round trips
   * overlap the publishing instead of adding to it.
   */
  let marking: { ids: string[]; done: Promise<void> } | undefined;

  async function finishMarking(): Promise<void> {
    const current = marking;
    marking = undefined;
    await current?.done;
  }

  function markSent(ids: string[]): Promise<void> {
    const done = sql`update outbox set published_at = now() where id in ${sql(ids)}`.then(() => {
      metrics.published.inc(ids.length);
    });
    done.catch(() => {}); // awaited by finishMarking; this only keeps Node from calling it unhandled meanwhile
    return done;
  }

  async function relayOnce(): Promise<"more" | "idle" | "failed" | "lost"> {
    // Re-assert the lock once a second, not per batch: it only changes hands
    // when this relay's lock connection was lost, which takes that long to matter.
    if (Date.now() - lockCheckedAt > 1_000) {
      if (!(await holdsLock())) return "lost";
      lockCheckedAt = Date.now();
    }
    const beingMarked = marking?.ids ?? [];
    const rows = await sql<OutboxRow[]>`
      select id, event_id, subject, partition_key, payload, headers
      from outbox where published_at is null
      ${beingMarked.length > 0 ? sql`and id not in ${sql(beingMarked)}` : sql``}
      order by id limit ${batchSize}`;
    const { sent, error } = rows.length > 0 ? await publishBatch(rows) : { sent: [] };
    await finishMarking(); // one UPDATE at a time
    const full = rows.length === batchSize && !error;
    if (sent.length > 0) {
      marking = { ids: sent, done: markSent(sent) };
      if (!full) await finishMarking();
    }
    if (error) {
      const message = (error as Error).message;
      if (failureStreak === 0) logger.warn({ unsent: rows.length - sent.length, reason: message }, "outbox relay: publishing failed; rows stay in the outbox and are retried");
      return "failed";
    }
    if (rows.length === 0) return "idle";
    return full ? "more" : "idle";
  }

  async function pruneIfDue(): Promise<void> {
    if (Date.now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = Date.now();
    const cutoff = new Date(Date.now() - retentionMs);
    const deleted = await sql`
      delete from outbox where id in (
        select id from outbox where published_at is not null and published_at < ${cutoff} limit 10000)`;
    if (deleted.count > 0) logger.info({ deleted: deleted.count }, "outbox relay: pruned sent rows past retention");
  }

  async function backoff(): Promise<void> {
    failureStreak += 1;
    await wakeup.sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failureStreak, 6)));
  }

  async function relayWhileLeader(): Promise<void> {
    while (!stopped) {
      let outcome: Awaited<ReturnType<typeof relayOnce>>;
      try {
        outcome = await relayOnce();
      } catch (error) {
        // The database is unreachable, or the lock's connection died: give leadership up.
        logger.warn({ reason: (error as Error).message }, "outbox relay: database error; stepping down");
        await finishMarking().catch(() => {}); // unmarked rows are republished, and dropped as duplicates
        return;
      }
      if (outcome === "lost") {
        logger.warn("outbox relay: another instance holds the relay lock now; standing by");
        return;
      }
      if (outcome === "failed") {
        await backoff();
        continue;
      }
      if (failureStreak > 0) logger.info("outbox relay: publishing again");
      failureStreak = 0;
      if (outcome === "idle") {
        await pruneIfDue().catch((error: unknown) => logger.warn({ err: error }, "outbox relay: prune failed"));
        await wakeup.sleep(pollIntervalMs);
        if (coalesceMs > 0) await new Promise((resolve) => setTimeout(resolve, coalesceMs));
      }
    }
  }

  const loop = (async () => {
    while (!stopped) {
      let acquired = false;
      try {
        acquired = await holdsLock();
      } catch (error) {
        logger.warn({ reason: (error as Error).message }, "outbox relay: database unavailable; retrying");
      }
      if (acquired) {
        leader = true;
        lockCheckedAt = Date.now();
        logger.info("outbox relay: this instance is now publishing the outbox");
        await relayWhileLeader();
        await finishMarking().catch(() => {}); // stopping or stepping down: the last UPDATE first
        leader = false;
        await lockSql`select pg_advisory_unlock_all()`.catch(() => {});
      }
      if (!stopped) await wakeup.sleep(leaderRetryMs);
    }
    // The batch in flight has finished: nothing is left to wait for.
    await Promise.all([lockSql.end({ timeout: 0 }), sql.end({ timeout: 0 })]);
  })();

  return {
    isLeader: () => leader,
    async stop() {
      stopped = true;
      wakeup.poke();
      await loop;
    },
  };
}

function relayMetrics(sql: Sql, registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  const published = new Counter({ name: "outbox_published_total", help: "Outbox rows published and acked by JetStream.", registers });
  new Gauge({
    name: "outbox_backlog",
    help: "Outbox rows not yet published.",
    registers,
    async collect() {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`;
      this.set(row?.n ?? 0);
    },
  });
  new Gauge({
    name: "outbox_oldest_unpublished_age_seconds",
    help: "Age of the oldest unpublished outbox row (0 when none).",
    registers,
    async collect() {
      const [row] = await sql<{ age: number | null }[]>`
        select extract(epoch from now() - min(created_at))::float8 as age from outbox where published_at is null`;
      this.set(row?.age ?? 0);
    },
  });
  return { published };
}

/** The lock connection's application_name: `outbox-relay-lock` and the holder's instance id. */
export function relayLockApplicationName(instanceId: string | undefined): string {
  // PostgreSQL keeps 63 bytes of it; a UUID fits.
  return instanceId ? `outbox-relay-lock:${instanceId}` : "outbox-relay-lock";
}

export const DEFAULT_RELAY_LOCK_NAME = "outbox-relay";
