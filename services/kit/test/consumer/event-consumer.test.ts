import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { UserRegisteredSchema, type UserRegistered } from "@acme/gen/acme/auth/events/v1/events_pb";
import { createTestDatabase, natsUrl, testNamespace, type TestDatabase } from "@acme/testing";
import { waitUntil } from "@acme/devstack";
import { openDatabase, type Database } from "../../src/db/database.js";
import { createLogger } from "../../src/logging.js";
import { connectNats } from "../../src/nats.js";
import { applyBatch } from "../../src/consumer/apply-batch.js";
import { ensureDurableConsumer } from "../../src/consumer/consumer-resources.js";
import { consumerEnv, consumerSettings, type ConsumerSettings } from "../../src/consumer/consumer-settings.js";
import { DLQ } from "../../src/consumer/dead-letter.js";
import { startEventConsumer, type EventConsumer } from "../../src/consumer/event-consumer.js";
import { eventRoute, PermanentEventError } from "../../src/consumer/event-route.js";
import { declareEventStream, publishEvent } from "../../testing/event-stream.js";

/**
 * The runner against a toy table on the real Postgres and NATS: it knows no
 * service, so neither does this test.
 */
describe("event consumer runner", () => {
  let testDb: TestDatabase;
  let database: Database<Record<string, never>>;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const running: EventConsumer[] = [];
  /** userId -> failures still to throw (transient) */
  const failures = new Map<string, number>();
  const calls: string[] = [];

  const route = eventRoute(UserRegisteredSchema, {
    key: (e: UserRegistered) => e.userId,
    async handle(e: UserRegistered, tx: Database<Record<string, never>>["db"], meta) {
      calls.push(meta.id);
      if (e.email === "refuse@example.com") throw new PermanentEventError("email refused by the test");
      const left = failures.get(e.userId) ?? 0;
      if (left > 0) {
        failures.set(e.userId, left - 1);
        throw new Error("transient failure for the test");
      }
      await tx.execute(sql`insert into things (user_id, email, revision) values (${e.userId}, ${e.email}, ${e.revision})
        on conflict (user_id) do update set email = excluded.email, revision = excluded.revision where things.revision < excluded.revision`);
    },
  });

  function settingsFor(ns = testNamespace(), overrides: Partial<ConsumerSettings> = {}): ConsumerSettings {
    return {
      ...consumerSettings(
        {
          CONSUMER_NAME: ns.name("toy"),
          CONSUMER_ACK_WAIT_MS: 2_000,
          CONSUMER_MAX_DELIVER: 3,
          CONSUMER_BACKOFF_MS: [100, 200],
          CONSUMER_BATCH_SIZE: 50,
          CONSUMER_CONCURRENCY: 2,
          CONSUMER_MAX_ACK_PENDING: 1_000,
          DLQ_STREAM: ns.stream("DLQ_TOY"),
          DLQ_SUBJECT_PREFIX: ns.subjectPrefix("dlq.toy"),
        },
        { stream: ns.stream("AUTH_EVENTS"), subjectPrefix: ns.subjectPrefix("auth.events") },
      ),
      ...overrides,
    };
  }

  function start(settings: ConsumerSettings, extra: { registry?: Registry; onCommitted?: () => Promise<void>; beforeCommit?: () => Promise<void> } = {}) {
    const consumer = startEventConsumer({
      nc,
      db: database.db,
      settings,
      routes: [route],
      logger: createLogger("kit-test", "silent"),
      registry: extra.registry ?? new Registry(),
      statsIntervalMs: 200,
      ...(extra.onCommitted ? { onCommitted: extra.onCommitted } : {}),
      ...(extra.beforeCommit ? { beforeCommit: extra.beforeCommit } : {}),
    });
    running.push(consumer);
    return consumer;
  }

  const publish = (settings: ConsumerSettings, userId: string, email: string, extra: Partial<Parameters<typeof publishEvent>[1]> = {}) =>
    publishEvent(js, {
      subject: `${settings.subjectPrefix}.user_registered.v1`,
      schema: UserRegisteredSchema,
      message: { userId, email, revision: 1n },
      entity: userId,
      ...extra,
    });

  async function rows(): Promise<Record<string, string>> {
    const result = await database.sql<{ user_id: string; email: string }[]>`select user_id, email from things`;
    return Object.fromEntries(result.map((r) => [r.user_id, r.email]));
  }

  beforeAll(async () => {
    testDb = await createTestDatabase("kit_consumer");
    database = openDatabase(testDb.url, {});
    await database.sql`create table things (user_id text primary key, email text not null, revision bigint not null)`;
    await database.sql`create table processed_events (event_id text primary key, processed_at timestamptz not null default now())`;
    nc = await connectNats({ url: natsUrl(), name: "kit-consumer-test" });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await Promise.all(running.map((c) => c.stop()));
    await nc?.drain();
    await database?.close();
    await testDb?.drop();
  });

  it("applies events, and an event delivered twice changes nothing the second time", async () => {
    const settings = settingsFor();
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    const first = await publish(settings, "u-dup", "a@example.com");
    // Same event id, new Nats-Msg-Id: gets past JetStream's duplicate window, as a republish after 2 minutes would.
    await publish(settings, "u-dup", "a@example.com", { id: first.id, natsMsgId: `${first.id}-again` });
    start(settings);
    await waitUntil("event applied", async () => (await rows())["u-dup"] === "a@example.com");
    await waitUntil("both deliveries acked", async () => (await jsm.consumers.info(settings.stream, settings.durable)).num_ack_pending === 0);
    expect(calls.filter((id) => id === first.id)).toHaveLength(1);
    const inbox = await database.sql`select 1 from processed_events where event_id = ${first.id}`;
    expect(inbox).toHaveLength(1);
  });

  it("moves a poison message to the dead-letter stream with its reason, and later messages still apply", async () => {
    const settings = settingsFor();
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    const registry = new Registry();
    start(settings, { registry });
    const poison = await publish(settings, "u-poison", "x", { body: new Uint8Array([0xff, 0xff, 0xff, 0x0f]) });
    const refused = await publish(settings, "u-refused", "refuse@example.com");
    await publish(settings, "u-after", "after@example.com");
    await waitUntil("later event applied", async () => (await rows())["u-after"] === "after@example.com");
    await waitUntil("two dead letters", async () => (await jsm.streams.info(settings.deadLetterStream)).state.messages === 2);

    const first = await jsm.streams.getMessage(settings.deadLetterStream, { seq: 1 });
    expect(first?.subject).toBe(`${settings.deadLetterSubjectPrefix}.${settings.subjectPrefix}.user_registered.v1`);
    expect(first?.header.get(DLQ.reason)).toBe("undecodable");
    expect(first?.header.get(DLQ.sequence)).toBe(String(poison.seq));
    expect(first?.header.get("ce-id")).toBe(poison.id);
    expect(first?.data).toEqual(new Uint8Array([0xff, 0xff, 0xff, 0x0f]));
    const second = await jsm.streams.getMessage(settings.deadLetterStream, { seq: 2 });
    expect(second?.header.get(DLQ.reason)).toBe("invalid-event");
    expect(second?.header.get(DLQ.error)).toContain("email refused by the test");
    expect(second?.header.get("ce-id")).toBe(refused.id);
    // Terminated, not redelivered: each was dead-lettered exactly once.
    await waitUntil("nothing left pending", async () => (await jsm.consumers.info(settings.stream, settings.durable)).num_ack_pending === 0);
    const text = await registry.metrics();
    expect(text).toMatch(/event_consumer_dead_letters_total\{consumer="[^"]+",reason="undecodable"\} 1\n/);
    expect(text).toMatch(/event_consumer_dead_letters_total\{consumer="[^"]+",reason="invalid-event"\} 1\n/);
  });

  it("redelivers a transient failure with backoff, and dead-letters it at its last delivery", async () => {
    const settings = settingsFor();
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    failures.set("u-flaky", 2); // fails twice, third delivery (the last allowed) succeeds
    failures.set("u-broken", 99);
    start(settings);
    await publish(settings, "u-flaky", "flaky@example.com");
    const broken = await publish(settings, "u-broken", "broken@example.com");
    await publish(settings, "u-fine", "fine@example.com");
    await waitUntil("flaky applied", async () => (await rows())["u-flaky"] === "flaky@example.com");
    expect((await rows())["u-fine"]).toBe("fine@example.com");
    await waitUntil("broken dead-lettered", async () => (await jsm.streams.info(settings.deadLetterStream)).state.messages === 1);
    const dead = await jsm.streams.getMessage(settings.deadLetterStream, { seq: 1 });
    expect(dead?.header.get(DLQ.reason)).toBe("max-deliveries");
    expect(dead?.header.get(DLQ.deliveries)).toBe("3");
    expect(dead?.header.get("ce-id")).toBe(broken.id);
    expect((await rows())["u-broken"]).toBeUndefined();
  });

  it("dead-letters a message whose last allowed delivery died with the consumer, instead of losing it", async () => {
    const settings = settingsFor(testNamespace(), { maxDeliver: 2, ackWaitMs: 1_000 });
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    await ensureDurableConsumer(jsm, settings);
    const crashed = await publish(settings, "u-crash", "crash@example.com");
    // Two deliveries that never got an answer: a consumer killed while handling each.
    const durable = await js.consumers.get(settings.stream, settings.durable);
    for (let delivery = 1; delivery <= 2; delivery++) {
      const msg = await durable.next({ expires: 5_000 });
      expect(msg?.info.deliveryCount).toBe(delivery);
    }
    start(settings);
    await waitUntil("dead-lettered", async () => (await jsm.streams.info(settings.deadLetterStream).catch(() => undefined))?.state.messages === 1, 15_000);
    const dead = await jsm.streams.getMessage(settings.deadLetterStream, { seq: 1 });
    expect(dead?.header.get(DLQ.reason)).toBe("max-deliveries");
    expect(dead?.header.get("ce-id")).toBe(crashed.id);
    expect((await rows())["u-crash"]).toBeUndefined();
  });

  it("waits for a stream that does not exist yet, then consumes it from the start", async () => {
    const settings = settingsFor();
    const consumer = start(settings);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(consumer.isConsuming()).toBe(false);
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    await publish(settings, "u-late", "late@example.com");
    await waitUntil("late stream consumed", async () => (await rows())["u-late"] === "late@example.com");
    expect(consumer.isConsuming()).toBe(true);
  });

  it("stops gracefully: the batch in hand commits and is acked", async () => {
    const settings = settingsFor();
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inCommit = new Promise<void>((resolve) => (entered = resolve));
    const consumer = start(settings, {
      onCommitted: async () => {
        entered();
        await gate;
      },
    });
    await publish(settings, "u-stop", "stop@example.com");
    await inCommit;
    const stopped = consumer.stop();
    release();
    await stopped;
    expect((await rows())["u-stop"]).toBe("stop@example.com");
    const info = await jsm.consumers.info(settings.stream, settings.durable);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it("keeps a batch slower than the ack wait alive: it is delivered once, not handed out again while it runs", async () => {
    const settings = settingsFor(testNamespace(), { ackWaitMs: 1_000 });
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    let holds = 0;
    // Two instances: a redelivery would go to either one.
    for (let i = 0; i < 2; i++) {
      start(settings, {
        beforeCommit: async () => {
          // Only the first transaction is slow: four ack waits inside the open transaction.
          if (holds++ === 0) await new Promise((resolve) => setTimeout(resolve, 4 * settings.ackWaitMs));
        },
      });
    }
    await publish(settings, "u-slow", "slow@example.com");
    await waitUntil("slow batch applied", async () => (await rows())["u-slow"] === "slow@example.com", 20_000);
    await waitUntil("acked", async () => (await jsm.consumers.info(settings.stream, settings.durable)).num_ack_pending === 0);
    const info = await jsm.consumers.info(settings.stream, settings.durable);
    // One message in the stream, one delivery: a redelivery would have advanced the consumer sequence.
    expect(info.delivered.consumer_seq).toBe(1);
    expect(holds).toBe(1);
  });

  it("updates an existing durable consumer to the current (short) ack wait", async () => {
    const ns = testNamespace();
    const settings = settingsFor(ns);
    await declareEventStream(jsm, settings.stream, settings.subjectPrefix);
    await ensureDurableConsumer(jsm, { ...settings, ackWaitMs: 30_000 });
    const defaults = z
      .object(
        consumerEnv({ durable: settings.durable, deadLetterStream: settings.deadLetterStream, deadLetterSubjectPrefix: settings.deadLetterSubjectPrefix }),
      )
      .parse({});
    expect(defaults.CONSUMER_ACK_WAIT_MS).toBeLessThanOrEqual(5_000);
    await ensureDurableConsumer(jsm, { ...settings, ackWaitMs: defaults.CONSUMER_ACK_WAIT_MS });
    const info = await jsm.consumers.info(settings.stream, settings.durable);
    expect(info.config.ack_wait).toBe(defaults.CONSUMER_ACK_WAIT_MS * 1_000_000);
  });

  it("applyBatch keeps nothing of a batch whose handler failed", async () => {
    failures.set("u-rollback-2", 1);
    const event = (userId: string, id: string) => ({
      route,
      event: { $typeName: UserRegisteredSchema.typeName, userId, email: `${userId}@example.com`, revision: 1n } as UserRegistered,
      meta: { id, type: UserRegisteredSchema.typeName, subject: "s", streamSequence: 1, deliveryCount: 1 },
      key: userId,
    });
    await expect(applyBatch(database.db, "processed_events", [event("u-rollback-1", "rb-1"), event("u-rollback-2", "rb-2")])).rejects.toThrow(/rb-2/);
    expect((await rows())["u-rollback-1"]).toBeUndefined();
    expect(await database.sql`select 1 from processed_events where event_id in ('rb-1', 'rb-2')`).toHaveLength(0);
    const outcomes = await applyBatch(database.db, "processed_events", [
      event("u-rollback-1", "rb-1"),
      event("u-rollback-2", "rb-2"),
      event("u-rollback-2", "rb-2"),
    ]);
    expect([...outcomes.entries()]).toEqual([
      ["rb-1", "applied"],
      ["rb-2", "applied"],
    ]);
  });
});
