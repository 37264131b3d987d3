import { randomBytes } from "node:crypto";
/**
 * End-to-end propagation: from auth's commit (the commit timestamp of the
 * transaction that wrote the account and its outbox row, which PostgreSQL
 * records with track_commit_timestamp on this benchmark's server) to the
 * moment profile and billing apply the event (their inbox row's
 * processed_at), p50 and p99, at a steady half of the measured maximum
 * Register rate, with auth, profile and billing each in a process of its
 * own as `npm start` runs them; against raw JetStream publish-to-consume latency at the
 * same message rate, measured at the same time: a raw publisher runs beside
 * the Register load (half a period apart), so both sides share the machine
 * the argon2id hashes keep busy. The raw latency on the machine at rest is
 * measured afterwards and printed too.
 */
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { OUTBOX_CHANNEL, parseNotifiedRows } from "@acme/kit/outbox";
import { recordFigure } from "./report/results.js";
import { freePort, waitUntil } from "@acme/devstack";
import { rate, startBenchInfra } from "./support/infra.js";
import { ServiceProcesses } from "./support/service-processes.js";

const STEADY_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const PASSWORD = "correct horse battery staple";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const fmt = (values: number[]) => `p50 ${percentile(values, 50).toFixed(2)} ms, p99 ${percentile(values, 99).toFixed(2)} ms (n=${values.length})`;

/** Calls `task` `perSecond` times a second for `seconds`, not waiting for one to finish before the next. */
async function steady(perSecond: number, seconds: number, task: (n: number) => Promise<unknown>): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const started = performance.now();
  for (let n = 0; n < perSecond * seconds; n++) {
    const due = started + (n * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(task(n));
  }
  await Promise.all(pending);
}

/**
 * A durable consumer on a stream of its own, and a publisher that stamps each
 * message with its send time: the transport alone, nothing of ours.
 */
async function rawLatencyProbe(nc: NatsConnection, total: number) {
  const jsm = await jetstreamManager(nc);
  const name = `RAW_LATENCY_${randomBytes(4).toString("hex")}`;
  await jsm.streams.add({ name, subjects: [`${name}.latency`], storage: StorageType.File });
  await jsm.consumers.add(name, { durable_name: "raw", ack_policy: "explicit" as never });
  const js = jetstream(nc);
  const messages = await (await js.consumers.get(name, "raw")).consume();
  const received: number[] = [];
  const latencies = (async () => {
    for await (const m of messages) {
      received.push(performance.timeOrigin + performance.now() - Number(new TextDecoder().decode(m.data)));
      m.ack();
      if (received.length === total) break;
    }
    return received;
  })();
  const publish = () => js.publish(`${name}.latency`, new TextEncoder().encode(String(performance.timeOrigin + performance.now())));
  return { publish, latencies };
}

// The commit's own timestamp, written with its commit record; a measurement setting of this server only.
const infra = await startBenchInfra({ track_commit_timestamp: "on" });
const services = new ServiceProcesses({ NATS_URL: infra.nats.url });
try {
  const authUrl = await infra.createDatabase("auth_e2e");
  const profileUrl = await infra.createDatabase("profile_e2e");
  const billingUrl = await infra.createDatabase("billing_e2e");
  const authPort = await freePort();
  const auth = await services.start("auth", {
    DATABASE_URL: authUrl,
    PORT: String(authPort),
    AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    // Every registration here comes from 127.0.0.1: lift the per-client limit.
    REGISTER_CLIENT_ATTEMPTS: "1000000",
  });
  const jwks = { AUTH_JWKS_URL: `http://127.0.0.1:${authPort}/.well-known/jwks.json` };
  await services.start("profile", { ...jwks, DATABASE_URL: profileUrl, PORT: String(await freePort()) });
  await services.start("billing", { ...jwks, DATABASE_URL: billingUrl, PORT: String(await freePort()) });
  const client = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${authPort}`, httpVersion: "1.1" }));
  await waitUntil("auth answering Register", () => client.register({ email: `warmup${Date.now()}@example.com`, password: PASSWORD }).then(() => true), 60_000);
  // Every process started and consuming before the maximum rate is measured.
  for (const url of [profileUrl, billingUrl]) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await waitUntil("the warm-up registration applied", async () => (await sql`select 1 from processed_events limit 1`).length === 1, 60_000);
    await sql.end();
  }

  // Warmed up first (compilation, the common-password list), as P1's rate is.
  await rate(50, 8, (n) => client.register({ email: `warm${n}@example.com`, password: PASSWORD }));
  const max = await rate(200, 8, (n) => client.register({ email: `max${n}@example.com`, password: PASSWORD }));
  const perSecond = Math.max(1, Math.floor(max / 2));
  console.log(`maximum Register rate ${max.toFixed(0)}/s; steady load ${perSecond}/s for ${STEADY_SECONDS} s`);
  const nc = await connect({ servers: infra.nats.url });
  const raw = await rawLatencyProbe(nc, perSecond * STEADY_SECONDS);
  // An observer beside the relay: when each commit's NOTIFY arrives (the relay gets the same one).
  const notifiedAt = new Map<string, number>();
  const observer = postgres(authUrl, { max: 1, onnotice: () => {} });
  await observer.listen(OUTBOX_CHANNEL, (payload) => {
    const at = performance.timeOrigin + performance.now();
    for (const row of parseNotifiedRows(payload) ?? []) notifiedAt.set(row.event_id, at);
  });
  const since = new Date();
  await Promise.all([
    steady(perSecond, STEADY_SECONDS, (n) => client.register({ email: `steady${n}@example.com`, password: PASSWORD })),
    new Promise((resolve) => setTimeout(resolve, 500 / perSecond)).then(() => steady(perSecond, STEADY_SECONDS, () => raw.publish())),
  ]);
  const rawUnderLoad = await raw.latencies;

  const authSql = postgres(authUrl, { max: 1 });
  const committed = new Map<string, number>();
  const startToCommit: number[] = [];
  const toPublished: number[] = [];
  const toNotified: number[] = [];
  const notifiedToPublished: number[] = [];
  // Timestamps as epoch milliseconds with PostgreSQL's microseconds (a JS Date keeps only whole milliseconds).
  // The relay's UPDATE gave the outbox row a new xmin; the account's row still has the registration's.
  for (const row of await authSql<{ event_id: string; started_ms: number; committed_ms: number; published_ms: number }[]>`
    select o.event_id, extract(epoch from o.created_at)::float8 * 1000 as started_ms,
           extract(epoch from pg_xact_commit_timestamp(c.xmin))::float8 * 1000 as committed_ms,
           extract(epoch from o.published_at)::float8 * 1000 as published_ms
    from outbox o join credentials c on c.user_id::text = o.partition_key
    where o.created_at >= ${since.toISOString()}::timestamptz`) {
    committed.set(row.event_id, row.committed_ms);
    startToCommit.push(row.committed_ms - row.started_ms);
    toPublished.push(row.published_ms - row.committed_ms);
    const notified = notifiedAt.get(row.event_id);
    if (notified !== undefined) {
      toNotified.push(notified - row.committed_ms);
      notifiedToPublished.push(row.published_ms - notified);
    }
  }
  await observer.end();
  await authSql.end();
  const latencies = async (url: string, label: string) => {
    const sql = postgres(url, { max: 1 });
    const deadline = Date.now() + 30_000;
    let rows: { event_id: string; processed_ms: number }[] = [];
    while (Date.now() < deadline) {
      rows = (
        await sql<
          { event_id: string; processed_ms: number }[]
        >`select event_id, extract(epoch from processed_at)::float8 * 1000 as processed_ms from processed_events`
      ).filter((r) => committed.has(r.event_id));
      if (rows.length === committed.size) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await sql.end();
    if (rows.length !== committed.size) throw new Error(`${label} applied ${rows.length} of ${committed.size} events`);
    return rows.map((r) => r.processed_ms - committed.get(r.event_id)!);
  };
  // How the relay got its rows: from the commits' NOTIFY payloads, or by querying the outbox.
  const relayMetrics = await (await fetch(`http://127.0.0.1:${auth.adminPort}/metrics`)).text();
  const relayRounds = [...relayMetrics.matchAll(/^outbox_relay_rounds_total\{source="(\w+)"[^}]*\} (\d+)/gm)]
    .map(([, source, n]) => `${n} ${source}`)
    .join(", ");
  const toProfile = await latencies(profileUrl, "profile");
  const toBilling = await latencies(billingUrl, "billing");
  await services.stop();

  // The same raw probe once more with the services stopped: what JetStream alone costs on a machine at rest.
  const rawAtRest = await rawLatencyProbe(nc, perSecond * STEADY_SECONDS);
  await steady(perSecond, STEADY_SECONDS, () => rawAtRest.publish());
  const rawIdle = await rawAtRest.latencies;
  await nc.close();

  // Where the time goes: published_at is set by the relay's UPDATE after JetStream acked the publish.
  console.log(`relay rounds over the whole run: ${relayRounds || "none reported"}`);
  console.log(`auth's transaction start -> its commit record (not in the figure): ${fmt(startToCommit)}`);
  console.log(`auth commit -> relay marked published: ${fmt(toPublished)}`);
  console.log(`  of which auth commit -> its NOTIFY received: ${fmt(toNotified)}`);
  console.log(`  and NOTIFY received -> published (acked, marked): ${fmt(notifiedToPublished)}`);
  console.log(`auth commit -> profile applied: ${fmt(toProfile)}`);
  console.log(`auth commit -> billing applied: ${fmt(toBilling)}`);
  console.log(`raw JetStream publish -> consume, beside the same load: ${fmt(rawUnderLoad)}`);
  console.log(`raw JetStream publish -> consume, machine at rest: ${fmt(rawIdle)}`);
  // The figure is the slower consumer's: an event has crossed when both applied it.
  const slower = (p: number) => Math.max(percentile(toProfile, p), percentile(toBilling, p));
  const atRest = `raw JetStream at rest: p50 ${percentile(rawIdle, 50).toFixed(2)} ms, p99 ${percentile(rawIdle, 99).toFixed(2)} ms`;
  recordFigure("P5.p50", slower(50), percentile(rawUnderLoad, 50), atRest);
  recordFigure("P5.p99", slower(99), percentile(rawUnderLoad, 99), atRest);
} finally {
  await services.stop();
  await infra.stop();
}
