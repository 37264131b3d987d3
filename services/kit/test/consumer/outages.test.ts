import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserRegisteredSchema, type UserRegistered } from "@acme/gen/acme/auth/events/v1/events_pb";
import { freePort, startNats, startPostgres, waitUntil, type NatsServer, type PostgresServer } from "@acme/devstack";
import { natsUrl } from "@acme/testing";
import { openDatabase, type Database } from "../../src/db/database.js";
import { createLogger } from "../../src/logging.js";
import { connectNats } from "../../src/nats.js";
import type { ConsumerSettings } from "../../src/consumer/consumer-settings.js";
import { startEventConsumer } from "../../src/consumer/event-consumer.js";
import { eventRoute } from "../../src/consumer/event-route.js";
import { declareEventStream, publishEvent } from "../../testing/event-stream.js";

type Db = Database<Record<string, never>>["db"];
const route = eventRoute(UserRegisteredSchema, {
  key: (e: UserRegistered) => e.userId,
  handle: async (e: UserRegistered, tx: Db) => {
    await tx.execute(sql`insert into things (user_id, email) values (${e.userId}, ${e.email}) on conflict do nothing`);
  },
});

function settings(id: string, overrides: Partial<ConsumerSettings> = {}): ConsumerSettings {
  return {
    stream: `OUTAGE_${id}`,
    subjectPrefix: `outage${id}.events`,
    durable: `toy_${id}`,
    deadLetterStream: `DLQ_OUTAGE_${id}`,
    deadLetterSubjectPrefix: `dlq.outage${id}`,
    ackWaitMs: 1_000,
    maxDeliver: 2,
    backoffMs: [100],
    batchSize: 20,
    concurrency: 2,
    maxAckPending: 1_000,
    inboxTable: "processed_events",
    ...overrides,
  };
}

async function createToyTables(url: string) {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin`create table things (user_id text primary key, email text not null)`;
  await admin`create table processed_events (event_id text primary key, processed_at timestamptz not null default now())`;
  await admin.end();
}

const publish = (js: JetStreamClient, s: ConsumerSettings, n: number) =>
  publishEvent(js, {
    subject: `${s.subjectPrefix}.user_registered.v1`,
    schema: UserRegisteredSchema,
    message: { userId: `u${n}`, email: `u${n}@example.com`, revision: 1n },
    entity: `u${n}`,
  });

describe("the consumer through outages", () => {
  let dir: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "kit-outages-"));
    await chmod(dir, 0o755); // PostgreSQL runs as user postgres when we are root
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it("holds events while its database is down and applies them when it is back, without burning deliveries", async () => {
    const port = await freePort();
    const dataDir = join(dir, "pg");
    let pg: PostgresServer = await startPostgres({ dataDir, port });
    cleanup.push(() => pg.stop());
    await createToyTables(pg.adminUrl());
    const database = openDatabase(pg.adminUrl(), {});
    cleanup.push(() => database.close());
    const nc = await connectNats({ url: natsUrl(), name: "outage-db" });
    cleanup.push(() => nc.drain());
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const s = settings("db");
    await declareEventStream(jsm, s.stream, s.subjectPrefix);
    const consumer = startEventConsumer({
      nc,
      db: database.db,
      settings: s,
      routes: [route],
      logger: createLogger("kit-test", process.env.TEST_LOG_LEVEL ?? "silent"),
      registry: new Registry(),
    });
    cleanup.push(() => consumer.stop());
    const count = async () => Number((await database.sql<{ n: string }[]>`select count(*) as n from things`)[0]?.n);

    await publish(js, s, 0);
    await waitUntil("first event", async () => (await count()) === 1);
    await pg.stop();
    for (let n = 1; n <= 30; n++) await publish(js, s, n);
    // Longer than max_deliver x ack wait: counted deliveries would have dead-lettered them by now.
    await new Promise((resolve) => setTimeout(resolve, 2 * s.maxDeliver * s.ackWaitMs));
    pg = await startPostgres({ dataDir, port });
    // postgres.js backs off its reconnects during an outage (up to 20 s by default): allow for it.
    await waitUntil("all events after the outage", async () => (await count()) === 31, 30_000);
    const dead = await jsm.streams.info(s.deadLetterStream).then(
      (i) => i.state.messages,
      () => 0,
    );
    expect(dead).toBe(0);
  });

  it("keeps consuming after nats-server is killed and restarted", async () => {
    const natsDir = join(dir, "nats");
    const ports = { port: await freePort(), monitorPort: await freePort() };
    let nats: NatsServer = await startNats({ dir: natsDir, ...ports });
    cleanup.push(() => nats.stop());
    const pgPort = await freePort();
    const pg = await startPostgres({ dataDir: join(dir, "pg2"), port: pgPort });
    cleanup.push(() => pg.stop());
    await createToyTables(pg.adminUrl());
    const database = openDatabase(pg.adminUrl(), {});
    cleanup.push(() => database.close());
    const nc: NatsConnection = await connectNats({ url: nats.url, name: "outage-nats" });
    cleanup.push(() => nc.close());
    const s = settings("nats");
    const jsm: JetStreamManager = await jetstreamManager(nc);
    await declareEventStream(jsm, s.stream, s.subjectPrefix);
    const consumer = startEventConsumer({
      nc,
      db: database.db,
      settings: s,
      routes: [route],
      logger: createLogger("kit-test", "silent"),
      registry: new Registry(),
    });
    cleanup.push(() => consumer.stop());
    const count = async () => Number((await database.sql<{ n: string }[]>`select count(*) as n from things`)[0]?.n);

    await publish(jetstream(nc), s, 0);
    await waitUntil("first event", async () => (await count()) === 1);
    await nats.kill();
    nats = await startNats({ dir: natsDir, ...ports }); // same store: the stream and durable survive
    const producer = await connectNats({ url: nats.url, name: "outage-producer" });
    cleanup.push(() => producer.close());
    for (let n = 1; n <= 5; n++) await publish(jetstream(producer), s, n);
    await waitUntil("events after the restart", async () => (await count()) === 6, 30_000);
  });
});
