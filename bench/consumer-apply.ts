/**
 * Consumer apply rate against raw postgres.js doing the same work (target
 * >= 50%). The same registrations are applied to an empty profile database
 * two ways, in alternating rounds:
 *
 * - baseline: raw postgres.js, one transaction per event ("inbox row +
 *   profile row": insert the event id, upsert the profile), 16 transactions
 *   at a time (raw postgres.js peaks between 8 and 32 on 2 cores), with
 *   the events already in memory: no NATS, no decoding;
 * - consumer: profile's real consumer (kit runner + profile handlers) on a
 *   fresh durable consumer replaying the stream: pull, decode, validate,
 *   per-user lock, inbox, load + decide + save, commit, ack.
 *
 * - strict baseline: raw postgres.js running the consumer's transaction
 *   shape by hand: batches of the same size, the same number at a time,
 *   one inbox insert per batch and one pipelined upsert per event.
 *
 * One event per transaction one at a time is also shown, for scale. The
 * consumer runs twice a round: tracing off (no tracer) and tracing on (a
 * `process` span per event and a transaction span per batch, exported over
 * OTLP http/protobuf to a local sink); the overhead is printed.
 */
import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import postgres, { type TransactionSql } from "postgres";
import { Registry } from "prom-client";
import { startEventConsumer, consumerSettings } from "@acme/kit/consumer";
import { openDatabase, runMigrations } from "@acme/kit/db";
import { createLogger } from "@acme/kit/logging";
import { connectNats } from "@acme/kit/nats";
import { startTelemetry } from "@acme/kit/observability";
import { startOtlpReceiver } from "@acme/testing/otlp-receiver";
import { declareEventStream, publishEvent } from "@acme/kit/testing";
import { UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { schema } from "../services/profile/src/db/schema.js";
import { profileEventRoutes } from "../services/profile/src/events/subscription.js";
import { MIGRATIONS_FOLDER } from "../services/profile/src/service.js";
import { recordFigure } from "./report/results.js";
import { median, rate, report, startBenchInfra } from "./support/infra.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000);
const ROUNDS = 3;
const RAW_CONCURRENCY = 16;
const STREAM = "AUTH_EVENTS";
const PREFIX = "auth.events";

const infra = await startBenchInfra();
const nc = await connectNats({ url: infra.nats.url, name: "bench" });
const sink = await startOtlpReceiver({ decode: false });
const telemetry = startTelemetry({ service: "profile", env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint }, logger: createLogger("profile", "warn") });
try {
  const js = jetstream(nc);
  await declareEventStream(await jetstreamManager(nc), STREAM, PREFIX);
  const users = Array.from({ length: EVENTS }, (_, i) => ({ eventId: randomUUID(), userId: randomUUID(), email: `user${i}@example.com`, at: new Date() }));
  for (let i = 0; i < users.length; i += 200) {
    await Promise.all(
      users.slice(i, i + 200).map((u) =>
        publishEvent(js, {
          subject: `${PREFIX}.user_registered.v1`,
          schema: UserRegisteredSchema,
          message: { userId: u.userId, email: u.email, revision: 1n },
          entity: u.userId,
          id: u.eventId,
        }),
      ),
    );
  }
  console.log(`published ${EVENTS} registrations to ${STREAM}`);

  const freshDatabase = async (name: string) => {
    const url = await infra.createDatabase(name);
    await runMigrations(url, MIGRATIONS_FOLDER, "profile");
    return url;
  };

  async function rawRate(url: string, concurrency: number, count = EVENTS): Promise<number> {
    const sql = postgres(url, { max: concurrency, onnotice: () => {} });
    try {
      return await rate(count, concurrency, (n) => {
        const u = users[n]!;
        return sql.begin(async (tx) => {
          const [fresh] = await tx`insert into processed_events (event_id) values (${u.eventId}) on conflict do nothing returning event_id`;
          if (!fresh) return;
          await tx`insert into profiles (user_id, account_email, revision, created_at, updated_at)
            values (${u.userId}, ${u.email}, 1, ${u.at}, now())
            on conflict (user_id) do update set account_email = excluded.account_email, revision = excluded.revision, updated_at = now()
            where profiles.revision < excluded.revision`;
        });
      });
    } finally {
      await sql.end();
    }
  }

  type User = (typeof users)[number];
  type Tx = TransactionSql;

  /**
   * The consumer's transaction written by hand, a batch at a time: the
   * batch's event ids into the inbox in one statement, then `upsert` writes
   * the profiles of the events that were new. Answers events per second.
   */
  async function batchedByHandRate(url: string, upsert: (tx: Tx, fresh: User[]) => Promise<unknown>): Promise<number> {
    const batch = Number(process.env.BENCH_BATCH ?? 200);
    const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
    const sql = postgres(url, { max: concurrency, onnotice: () => {} });
    const batches = Math.ceil(EVENTS / batch);
    try {
      return (
        (await rate(batches, concurrency, (b) =>
          sql.begin(async (tx) => {
            const slice = users.slice(b * batch, (b + 1) * batch);
            const fresh = new Set(
              (
                await tx`insert into processed_events (event_id) select unnest(${slice.map((u) => u.eventId)}::text[]) on conflict do nothing returning event_id`
              ).map((r) => r.event_id as string),
            );
            await upsert(
              tx,
              slice.filter((u) => fresh.has(u.eventId)),
            );
          }),
        )) * batch
      );
    } finally {
      await sql.end();
    }
  }

  /** The baseline: an upsert per event, pipelined on the batch's connection. */
  const rawBatchedRate = (url: string) =>
    batchedByHandRate(url, (tx, rows) =>
      Promise.all(
        rows.map(
          (u) => tx`insert into profiles (user_id, account_email, revision, created_at, updated_at)
            values (${u.userId}, ${u.email}, 1, ${u.at}, now())
            on conflict (user_id) do update set account_email = excluded.account_email, revision = excluded.revision, updated_at = now()
            where profiles.revision < excluded.revision`,
        ),
      ),
    );

  // The consumer's statements written by hand, set-based: one inbox insert
  // and one profiles upsert per batch, each an INSERT ... SELECT FROM unnest.
  const rawSetBasedRate = (url: string) =>
    batchedByHandRate(
      url,
      (tx, rows) => tx`insert into profiles (user_id, account_email, revision, created_at, updated_at)
        select u, e, 1, a::timestamptz, now() from unnest(${rows.map((u) => u.userId)}::text[], ${rows.map((u) => u.email)}::text[], ${rows.map((u) => u.at.toISOString())}::text[]) as t(u, e, a)
        on conflict (user_id) do update set account_email = excluded.account_email, revision = excluded.revision, updated_at = now()
        where profiles.revision < excluded.revision`,
    );

  async function consumerRate(url: string, round: number | string, traced = false): Promise<number> {
    const database = openDatabase(url, schema, { applicationName: "profile-bench" });
    let applied = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const started = performance.now();
    const consumer = startEventConsumer({
      nc,
      db: database.db,
      settings: consumerSettings(
        {
          CONSUMER_NAME: `profile_bench_${round}`,
          CONSUMER_ACK_WAIT_MS: 30_000,
          CONSUMER_MAX_DELIVER: 5,
          CONSUMER_BACKOFF_MS: [1_000],
          CONSUMER_BATCH_SIZE: Number(process.env.BENCH_BATCH ?? 200),
          CONSUMER_CONCURRENCY: Number(process.env.BENCH_CONCURRENCY ?? 4),
          CONSUMER_MAX_ACK_PENDING: 2_000,
          DLQ_STREAM: "DLQ_PROFILE",
          DLQ_SUBJECT_PREFIX: "dlq.profile",
        },
        { stream: STREAM, subjectPrefix: PREFIX },
      ),
      routes: profileEventRoutes(),
      logger: createLogger("profile", "warn"),
      registry: new Registry(),
      ...(traced ? { tracer: telemetry.tracer } : {}),
      onCommitted: (ids) => {
        applied += ids.length;
        if (applied >= EVENTS) done();
      },
    });
    await finished;
    const perSecond = EVENTS / ((performance.now() - started) / 1000);
    await consumer.stop();
    const [{ n }] = (await database.sql<{ n: string }[]>`select count(*) as n from profiles`) as unknown as [{ n: string }];
    if (Number(n) !== EVENTS) throw new Error(`expected ${EVENTS} profiles, found ${n}`);
    await database.close();
    return perSecond;
  }

  const serial = await rawRate(await freshDatabase("raw_serial"), 1, Math.min(EVENTS, 1_000));
  console.log(`raw postgres.js, one event per transaction, one at a time: ${serial.toFixed(0)} events/s`);
  const raw: number[] = [];
  const rawBatched: number[] = [];
  const rawSetBased: number[] = [];
  const consumed: number[] = [];
  const consumedTraced: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    raw.push(await rawRate(await freshDatabase(`raw_${round}`), RAW_CONCURRENCY));
    rawBatched.push(await rawBatchedRate(await freshDatabase(`raw_batched_${round}`)));
    rawSetBased.push(await rawSetBasedRate(await freshDatabase(`raw_set_based_${round}`)));
    // Alternate which consumer goes first.
    const off = async () => consumed.push(await consumerRate(await freshDatabase(`consumer_${round}`), round));
    const on = async () => consumedTraced.push(await consumerRate(await freshDatabase(`consumer_traced_${round}`), `traced_${round}`, true));
    if (round % 2 === 0) await off().then(on);
    else await on().then(off);
    console.log(
      `round ${round + 1}/${ROUNDS}: raw per-event x${RAW_CONCURRENCY} ${raw[round]!.toFixed(0)}/s, raw batched ${rawBatched[round]!.toFixed(0)}/s, raw set-based ${rawSetBased[round]!.toFixed(0)}/s, consumer tracing off ${consumed[round]!.toFixed(0)}/s, tracing on ${consumedTraced[round]!.toFixed(0)}/s`,
    );
  }
  report(`Consumer apply rate vs raw postgres.js, one event per transaction x${RAW_CONCURRENCY}`, median(consumed), median(raw), "events/s", 0.5);
  recordFigure("P3", median(consumed), median(rawBatched));
  report(
    "Consumer apply rate vs raw postgres.js, batched, set-based (inbox + profiles, one unnest insert each)",
    median(consumed),
    median(rawSetBased),
    "events/s",
  );
  report("Consumer apply rate vs raw postgres.js, one event per transaction, one at a time", median(consumed), serial, "events/s");
  report("Consumer apply rate, tracing on (spans exported to a local OTLP sink) vs tracing off", median(consumedTraced), median(consumed), "events/s");
  console.log(
    `tracing overhead on the consumer: ${((1 - median(consumedTraced) / median(consumed)) * 100).toFixed(1)}% fewer events/s (${sink.requests.protobuf} OTLP export requests received)`,
  );
} finally {
  await telemetry.shutdown();
  await sink.close();
  await nc.drain();
  await infra.stop();
}
