import type { Sql } from "postgres";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logging.js";
import { startOutboxRelay, type OutboxRelay } from "../../src/outbox/outbox-relay.js";
import { EMPTY_NOTIFY_TRIGGER, outboxTestBed, until } from "./outbox-test-bed.js";

// The claim path: this outbox's NOTIFY carries no rows (relay-notified-rows.test.ts covers the rows).
describe("outbox relay", () => {
  const bed = outboxTestBed("relay", EMPTY_NOTIFY_TRIGGER);
  const { streamBodies, unsent } = bed;
  const logger = createLogger("relay-test", "silent");
  const insert = (tx: Sql, key: string, n: number) => bed.insert(key, n, { tx });

  it("publishes a row whose transaction commits after later rows were already published", async () => {
    const relay = startOutboxRelay({ databaseUrl: bed.db.url, js: bed.js(), logger, pollIntervalMs: 50 });
    try {
      // Transaction A takes the lower id but commits last: it stays open
      // until the later row has been published (no timer, so a slow machine
      // cannot let it commit early).
      let commitLate!: () => void;
      const lateMayCommit = new Promise<void>((resolve) => (commitLate = resolve));
      let lateInserted!: () => void;
      const lateIsInserted = new Promise<void>((resolve) => (lateInserted = resolve));
      const slow = bed.sql.begin(async (tx) => {
        await insert(tx as unknown as Sql, "late", 1);
        lateInserted();
        await lateMayCommit;
      });
      await lateIsInserted;
      await insert(bed.sql, "early", 1);
      await until("the early row", async () => (await streamBodies()).includes("early:1"));
      expect(await streamBodies()).not.toContain("late:1");
      commitLate();
      await slow;
      await until("the late row", async () => (await streamBodies()).includes("late:1"));
      const ids = await bed.sql<{ id: string; partition_key: string }[]>`select id, partition_key from outbox order by id`;
      expect(ids.map((r) => r.partition_key)).toEqual(["late", "early"]); // the late row really had the lower id
      await until("all marked", async () => (await unsent()) === 0);
    } finally {
      await relay.stop();
    }
  });

  it("publishes a commit at once when idle: a coalescing delay applies only to commits that arrive during a publish", async () => {
    // A coalescing delay far longer than the wait below: were it applied to an idle wake-up, the row would not come.
    const relay = startOutboxRelay({
      databaseUrl: bed.db.url,
      js: bed.js(),
      logger,
      pollIntervalMs: 600_000,
      coalesceMs: 600_000,
      lockName: "relay-idle-test-lock",
    });
    try {
      await insert(bed.sql, "idle", 1);
      await until("the first row", async () => (await unsent()) === 0);
      // Idle: every relay query finished (its connections wait for a command), nothing left to publish.
      await until("the relay idle", async () => {
        const busy = await bed.sql<
          { n: number }[]
        >`select count(*)::int as n from pg_stat_activity where application_name = 'outbox-relay' and state <> 'idle'`;
        return busy[0]!.n === 0;
      });
      await insert(bed.sql, "idle", 2);
      await until("the row committed while idle", async () => (await streamBodies()).includes("idle:2"));
      await until("all marked", async () => (await unsent()) === 0);
    } finally {
      await relay.stop();
    }
  });

  it("republishing rows that were acked but never marked (a crash between ack and mark) adds nothing to the stream", async () => {
    const before = (await streamBodies()).length;
    for (let i = 0; i < 20; i++) await insert(bed.sql, `k${i % 3}`, i);
    let relay: OutboxRelay = startOutboxRelay({ databaseUrl: bed.db.url, js: bed.js(), logger, pollIntervalMs: 50 });
    await until("20 published", async () => (await unsent()) === 0);
    await relay.stop();
    // The state a kill -9 after the JetStream ack and before the UPDATE leaves behind:
    await bed.sql`update outbox set published_at = null`;
    relay = startOutboxRelay({ databaseUrl: bed.db.url, js: bed.js(), logger, pollIntervalMs: 50 });
    await until("all re-marked", async () => (await unsent()) === 0);
    await relay.stop();
    expect((await streamBodies()).length).toBe(before + 20);
  });

  it("runs one relay at a time and keeps each key's order; a standby takes over when the leader stops", async () => {
    const js = bed.js();
    const a = startOutboxRelay({ databaseUrl: bed.db.url, js, logger, pollIntervalMs: 50, leaderRetryMs: 100, lockName: "relay-test-lock" });
    await until("a leads", async () => a.isLeader());
    const b = startOutboxRelay({ databaseUrl: bed.db.url, js, logger, pollIntervalMs: 50, leaderRetryMs: 100, lockName: "relay-test-lock" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.isLeader()).toBe(false);
    await a.stop();
    const takeoverStarted = Date.now();
    await until("b leads", async () => b.isLeader());
    expect(Date.now() - takeoverStarted).toBeLessThan(2_000);
    for (let n = 1; n <= 50; n++) await insert(bed.sql, `ordered${n % 5}`, n);
    await until("drained", async () => (await unsent()) === 0);
    await b.stop();
    const seen = (await streamBodies()).filter((body) => body.startsWith("ordered"));
    for (let key = 0; key < 5; key++) {
      const ns = seen.filter((body) => body.startsWith(`ordered${key}:`)).map((body) => Number(body.split(":")[1]));
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
      expect(ns.length).toBe(10);
    }
  });

  it("prunes sent rows older than the retention and keeps the rest", async () => {
    await bed.sql`update outbox set published_at = now() - interval '2 hours' where partition_key like 'k%'`;
    const relay = startOutboxRelay({ databaseUrl: bed.db.url, js: bed.js(), logger, pollIntervalMs: 50, retentionMs: 3_600_000 });
    await until("pruned", async () => (await bed.sql`select 1 from outbox where partition_key like 'k%'`).length === 0);
    await relay.stop();
    expect((await bed.sql`select 1 from outbox`).length).toBeGreaterThan(0);
  });
});
