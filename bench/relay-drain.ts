/**
 * The outbox relay draining a pre-filled outbox of 100,000 rows, against raw
 * nats.js async publishing of the same messages (same size, headers and
 * Nats-Msg-Id) to the same kind of stream, measured in the same run
 * (P2: target >= 50% in every round; the worst round is reported).
 */
import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import postgres from "postgres";
import { cloudEventHeaders } from "@acme/kit/cloudevents";
import { createLogger } from "@acme/kit/logging";
import { startOutboxRelay } from "@acme/kit/outbox";
import { runMigrations } from "@acme/kit/db";
import { MIGRATIONS_FOLDER } from "../services/auth/src/service.js";
import { recordFigure } from "./report/results.js";
import { rssMb, startBenchInfra } from "./support/infra.js";

const ROWS = Number(process.env.BENCH_OUTBOX_ROWS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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
// Both sides publish on one connection, set as kit sets a service's (no async traces).
const nc = await connect({ servers: infra.nats.url, noAsyncTraces: true });
try {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const rounds: { raw: number; relay: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of [`RAW${round}`, `RELAY${round}`]) {
      await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.>`], storage: StorageType.File, duplicate_window: 120_000_000_000 });
    }

    // Baseline: the fastest plain way to get these messages into JetStream.
    const rawStarted = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < ROWS; i++) {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(sampleHeaders)) h.set(k, v);
      const p = js.publish(`raw${round}.user_registered.v1`, PAYLOAD, { msgID: randomUUID(), headers: h });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const rawRate = ROWS / ((performance.now() - rawStarted) / 1000);

    const url = await infra.createDatabase(`relay_bench_${round}`);
    await runMigrations(url, MIGRATIONS_FOLDER, "auth");
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    await sql`
      insert into outbox (event_id, subject, partition_key, payload, headers)
      select gen_random_uuid(), ${`relay${round}.user_registered.v1`}, 'user-' || (i % 20000), ${PAYLOAD}, ${sql.json(sampleHeaders)}
      from generate_series(1, ${ROWS}) as i`;

    const relayStarted = performance.now();
    const relay = startOutboxRelay({ databaseUrl: url, js, logger: createLogger("relay", "warn"), pollIntervalMs: 100 });
    let lastReport = relayStarted;
    for (;;) {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`;
      if (row!.n === 0) break;
      if (performance.now() - lastReport > 2_000) {
        lastReport = performance.now();
        console.log(`  round ${round}: relay ${ROWS - row!.n}/${ROWS} published`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const relayRate = ROWS / ((performance.now() - relayStarted) / 1000);
    await relay.stop();
    await sql.end();
    const stored = (await jsm.streams.info(`RELAY${round}`)).state.messages;
    if (stored !== ROWS) throw new Error(`expected ${ROWS} messages in stream RELAY${round}, found ${stored}`);
    // Each round's streams go, so the next round starts from the same empty store.
    await jsm.streams.delete(`RAW${round}`);
    await jsm.streams.delete(`RELAY${round}`);
    rounds.push({ raw: rawRate, relay: relayRate });
    console.log(
      `round ${round}/${ROUNDS}: raw nats.js async publish ${rawRate.toFixed(0)}/s, relay drain ${relayRate.toFixed(0)}/s (${((relayRate / rawRate) * 100).toFixed(1)}%); bench RSS ${rssMb()} MB`,
    );
  }
  const worst = rounds.reduce((a, b) => (b.relay / b.raw < a.relay / a.raw ? b : a));
  recordFigure("P2", worst.relay, worst.raw, `worst of ${ROUNDS} rounds of ${ROWS} rows; ratios ${rounds.map((r) => (r.relay / r.raw).toFixed(2)).join(", ")}`);
} finally {
  await nc.close();
  await infra.stop();
}
