/**
 * The outbox relay draining a pre-filled outbox of 100,000 rows, against raw
 * nats.js async publishing of the same messages (same size, headers and
 * Nats-Msg-Id) to the same kind of stream, measured in the same run
 * (target >= 50%).
 */
import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import postgres from "postgres";
import { cloudEventHeaders } from "@acme/kit/cloudevents";
import { createLogger } from "@acme/kit/logging";
import { startOutboxRelay } from "@acme/kit/outbox/outbox-relay";
import { runMigrations } from "@acme/kit/db/migrate";
import { MIGRATIONS_FOLDER } from "../services/auth/src/service.js";
import { report, rssMb, startBenchInfra } from "./support/infra.js";

const ROWS = Number(process.env.BENCH_OUTBOX_ROWS ?? 100_000);
const WINDOW = 256; // raw baseline: publishes in flight at once
const PAYLOAD = Buffer.alloc(120, 7); // about the size of a UserRegistered

const sampleHeaders = cloudEventHeaders({
  id: randomUUID(),
  source: "/acme/auth",
  type: "acme.auth.events.v1.UserRegistered",
  time: new Date(),
  subject: randomUUID(),
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
});

const infra = await startBenchInfra();
const nc = await connect({ servers: infra.nats.url });
try {
  const jsm = await jetstreamManager(nc);
  for (const name of ["RAW", "RELAY"]) {
    await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.>`], storage: StorageType.File, duplicate_window: 120_000_000_000 });
  }
  const js = jetstream(nc);

  // Baseline: the fastest plain way to get these messages into JetStream.
  const rawStarted = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < ROWS; i++) {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(sampleHeaders)) h.set(k, v);
    const p = js.publish("raw.user_registered.v1", PAYLOAD, { msgID: randomUUID(), headers: h });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= WINDOW) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const rawRate = ROWS / ((performance.now() - rawStarted) / 1000);
  console.log(`raw nats.js async publish: ${ROWS} messages at ${rawRate.toFixed(0)}/s`);

  const url = await infra.createDatabase("relay_bench");
  await runMigrations(url, MIGRATIONS_FOLDER, "auth");
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  const fillStarted = performance.now();
  await sql`
    insert into outbox (event_id, subject, partition_key, payload, headers)
    select gen_random_uuid(), 'relay.user_registered.v1', 'user-' || (i % 20000), ${PAYLOAD}, ${sql.json(sampleHeaders)}
    from generate_series(1, ${ROWS}) as i`;
  console.log(`outbox pre-filled with ${ROWS} rows in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);

  const relayStarted = performance.now();
  const relay = startOutboxRelay({ databaseUrl: url, js, logger: createLogger("relay", "warn"), pollIntervalMs: 100 });
  let lastReport = relayStarted;
  for (;;) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`;
    if (row!.n === 0) break;
    if (performance.now() - lastReport > 2_000) {
      lastReport = performance.now();
      console.log(`  relay: ${ROWS - row!.n}/${ROWS} published`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const relayRate = ROWS / ((performance.now() - relayStarted) / 1000);
  await relay.stop();
  const stored = (await jsm.streams.info("RELAY")).state.messages;
  console.log(`relay drained ${ROWS} rows at ${relayRate.toFixed(0)}/s; stream RELAY holds ${stored}; bench RSS ${rssMb()} MB`);
  if (stored !== ROWS) throw new Error(`expected ${ROWS} messages in the stream, found ${stored}`);
  report("Relay drain vs raw nats.js async publish", relayRate, rawRate, "msg/s", 0.5);
  await sql.end();
} finally {
  await nc.close();
  await infra.stop();
}
