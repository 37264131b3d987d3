import type { JetStreamClient } from "@nats-io/jetstream";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";
import { postgresClient, reconnectBackoff } from "../db/database.js";
import type { Logger } from "../logging.js";
import { trace, type Tracer } from "../observability/spans.js";
import { relayMetrics } from "./outbox-metrics.js";
import { NotifiedRows } from "./notified-rows.js";
import { claimUnsent, type OutboxRow, pruneSent, SentMarker } from "./outbox-rows.js";
import { OUTBOX_CHANNEL } from "./outbox-table.js";
import { RelayLock } from "./relay-lock.js";
import { publishRows, type RowPublisherOptions } from "./row-publisher.js";
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
   * After a wake-up that came in while a batch was being published (load),
   * wait this long for more commits before reading. Default 0: what commits
   * during a publish is read as one batch by the next round anyway.
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

const MAX_BACKOFF_MS = 5_000;
/** Beyond this many announced rows waiting, the relay forgets them and claims (memory stays bounded under any burst). */
const MAX_NOTIFIED_ROWS_HELD = 10_000;
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
  const { sql, openLockConnection } = relayConnections(options.databaseUrl, options.instanceId);
  const wakeup = new Wakeup();
  const notified = new NotifiedRows(MAX_NOTIFIED_ROWS_HELD);
  listenForCommits(sql, { wakeup, notified }, options.logger);
  const lock = new RelayLock(openLockConnection, options.lockName ?? DEFAULT_RELAY_LOCK_NAME);
  const relay = new Relay(options, sql, lock, { wakeup, notified });
  const loop = relay.leadUntilStopped().finally(() => Promise.all([lock.close(), sql.end({ timeout: 0 })]));
  return {
    isLeader: () => relay.leader,
    async stop() {
      relay.stop();
      await loop;
    },
  };
}

/**
 * Connections of its own: the service's pool stays free for RPCs, and the
 * lock lives on a single plain connection (not one reserved from a pool:
 * postgres.js 3.4.9 can crash the process when a reserved connection's
 * server goes away).
 */
function relayConnections(databaseUrl: string, instanceId: string | undefined): { sql: Sql; openLockConnection: () => Sql } {
  // No array parameters here, so no fetch of array types either: postgres.js
  // 3.4.9 leaves that fetch's failure unhandled, which kills the process when
  // the database goes away during a reconnect (porsager/postgres#1192).
  // A connection attempt gives up after 5 s, as the service's pool does (postgres.js's default is 30 s).
  const reconnect = { onnotice: () => {}, fetch_types: false, backoff: reconnectBackoff, connect_timeout: 5 };
  return {
    sql: postgresClient(databaseUrl, { ...reconnect, max: 2, connection: { application_name: "outbox-relay" } }),
    openLockConnection: () => postgresClient(databaseUrl, { ...reconnect, max: 1, connection: { application_name: relayLockApplicationName(instanceId) } }),
  };
}

/** What the LISTEN connection hands the relay loop. */
interface CommitSignals {
  wakeup: Wakeup;
  notified: NotifiedRows;
}

/**
 * The wake-up: each commit that inserts outbox rows NOTIFYs, with the rows
 * when they fit; without LISTEN the poll interval still finds them. Each
 * (re)connected LISTEN may have missed notifications, so the relay claims at once.
 */
function listenForCommits(sql: Sql, { wakeup, notified }: CommitSignals, logger: Logger): void {
  let listens = 0;
  sql
    .listen(
      OUTBOX_CHANNEL,
      (payload) => {
        notified.add(payload);
        wakeup.poke();
      },
      () => {
        notified.invalidate();
        if (listens++ > 0) wakeup.poke(); // the first LISTEN comes up beside the leader's first claim
      },
    )
    .catch((error: unknown) => {
      logger.warn({ reason: (error as Error).message }, "outbox relay: LISTEN failed; relying on polling");
    });
}

type RoundOutcome = "more" | "idle" | "failed" | "lost";

/** The relay's state between rounds: leadership, the failure streak, the last prune, the UPDATE in flight. */
class Relay {
  leader = false;
  private stopped = false;
  private failureStreak = 0;
  private lastPrune = 0;
  private lastClaim = 0;
  private readonly marker: SentMarker;
  private readonly publishing: RowPublisherOptions;
  private readonly logger: Logger;
  private readonly wakeup: Wakeup;
  private readonly notified: NotifiedRows;
  private readonly rounds: ReturnType<typeof relayMetrics>["rounds"];

  constructor(
    private readonly options: OutboxRelayOptions,
    private readonly sql: Sql,
    private readonly lock: RelayLock,
    signals: CommitSignals,
  ) {
    this.logger = options.logger;
    this.wakeup = signals.wakeup;
    this.notified = signals.notified;
    const metrics = relayMetrics(sql, options.registry);
    this.rounds = metrics.rounds;
    this.marker = new SentMarker(sql, (count) => metrics.published.inc(count));
    const tracer: Tracer = options.tracer ?? trace.getTracer("@acme/kit");
    this.publishing = { js: options.js, tracer, publishTimeoutMs: options.publishTimeoutMs ?? 5_000, onPublished: options.onPublished };
  }

  stop(): void {
    this.stopped = true;
    this.wakeup.poke();
  }

  /** Stands by until the lock is free, relays while holding it; returns once stopped and the batch in flight has finished. */
  async leadUntilStopped(): Promise<void> {
    while (!this.stopped) {
      if (await this.tryToLead()) {
        this.leader = true;
        this.logger.info("outbox relay: this instance is now publishing the outbox");
        await this.relayWhileLeader();
        await this.marker.finish().catch(() => {}); // stopping or stepping down: the last UPDATE first
        this.leader = false;
        await this.lock.release().catch(() => {});
      }
      if (!this.stopped) await this.wakeup.sleep(this.options.leaderRetryMs ?? 1_000);
    }
  }

  private async tryToLead(): Promise<boolean> {
    try {
      return await this.lock.take();
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, "outbox relay: database unavailable; retrying");
      return false;
    }
  }

  private async relayWhileLeader(): Promise<void> {
    this.notified.invalidate(); // a new leader trusts no payload until its first claim took everything
    while (!this.stopped) {
      let outcome: RoundOutcome;
      try {
        outcome = await this.relayOnce();
      } catch (error) {
        // The database is unreachable, or the lock's connection died: give leadership up.
        this.logger.warn({ reason: (error as Error).message }, "outbox relay: database error; stepping down");
        await this.marker.finish().catch(() => {}); // unmarked rows are republished, and dropped as duplicates
        return;
      }
      if (outcome === "lost") {
        this.logger.warn("outbox relay: another instance holds the relay lock now; standing by");
        return;
      }
      if (outcome === "failed") {
        await this.backoff();
        continue;
      }
      if (this.failureStreak > 0) this.logger.info("outbox relay: publishing again");
      this.failureStreak = 0;
      if (outcome === "idle") await this.whileIdle();
    }
  }

  /** One round: take the announced rows or claim, publish, mark. */
  private async relayOnce(): Promise<RoundOutcome> {
    if (!(await this.lock.stillHeld())) return "lost";
    const batchSize = this.options.batchSize ?? 500;
    const { rows, claimEpoch } = await this.nextRows(batchSize);
    const { sent, error } = rows.length > 0 ? await publishRows(rows, this.publishing) : { sent: [], error: undefined };
    await this.marker.finish(); // one UPDATE at a time
    const full = rows.length === batchSize && !error;
    if (sent.length > 0) {
      await this.marker.start(sent);
      if (!full) await this.marker.finish();
    }
    if (error) {
      this.notified.invalidate(); // the unsent rows stay in the table; the next claim takes them in order
      if (this.failureStreak === 0)
        this.logger.warn(
          { unsent: rows.length - sent.length, reason: (error as Error).message },
          "outbox relay: publishing failed; rows stay in the outbox and are retried",
        );
      return "failed";
    }
    if (claimEpoch !== undefined && !full) this.notified.claimTookEverything(claimEpoch, sent);
    return full ? "more" : "idle";
  }

  /**
   * The rows commits announced, when they may be trusted; otherwise a claim
   * (and the epoch it started in). An idle relay still claims once per poll
   * interval: the NOTIFY is a hint, the table the truth.
   */
  private async nextRows(batchSize: number): Promise<{ rows: OutboxRow[]; claimEpoch?: number }> {
    const announced = this.notified.take(batchSize);
    const pollDue = Date.now() - this.lastClaim >= (this.options.pollIntervalMs ?? 1_000);
    if (announced && (announced.length > 0 || !pollDue)) {
      if (announced.length > 0) this.rounds.inc({ source: "notify" });
      return { rows: announced };
    }
    this.rounds.inc({ source: "claim" });
    this.lastClaim = Date.now();
    const claimEpoch = this.notified.claimStarting();
    return { rows: await claimUnsent(this.sql, batchSize, this.marker.pendingIds), claimEpoch };
  }

  private async whileIdle(): Promise<void> {
    await this.pruneIfDue().catch((error: unknown) => this.logger.warn({ err: error }, "outbox relay: prune failed"));
    // An idle relay publishes a commit at once (a fixed coalescing delay
    // was most of the commit-to-consumer latency, P5). Under load no
    // delay is needed either: the commits that arrive while a batch is
    // being published pile up and are read together by the next round.
    const arrivedWhileBusy = await this.wakeup.sleep(this.options.pollIntervalMs ?? 1_000);
    const coalesceMs = this.options.coalesceMs ?? 0;
    if (arrivedWhileBusy && coalesceMs > 0) await new Promise((resolve) => setTimeout(resolve, coalesceMs));
  }

  private async pruneIfDue(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const deleted = await pruneSent(this.sql, new Date(Date.now() - (this.options.retentionMs ?? 7 * 24 * 3_600_000)));
    if (deleted > 0) this.logger.info({ deleted }, "outbox relay: pruned sent rows past retention");
  }

  private async backoff(): Promise<void> {
    this.failureStreak += 1;
    await this.wakeup.sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failureStreak, 6)));
  }
}

/** The lock connection's application_name: `outbox-relay-lock` and the holder's instance id. */
export function relayLockApplicationName(instanceId: string | undefined): string {
  // PostgreSQL keeps 63 bytes of it; a UUID fits.
  return instanceId ? `outbox-relay-lock:${instanceId}` : "outbox-relay-lock";
}

export const DEFAULT_RELAY_LOCK_NAME = "outbox-relay";
