/**
 * P9: two profile instances share the durable consumer; one is killed
 * (SIGKILL, inside a batch transaction: it holds delivered, unacknowledged
 * messages) while the other runs. The figure is the seconds from the kill
 * until every event is applied, so until the survivor has been handed what
 * the dead one held; the target is 5 s (ratio = seconds / 5).
 */
import { randomUUID } from "node:crypto";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import postgres from "postgres";
import { UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { freePort, waitUntil } from "@acme/devstack";
import { declareEventStream, publishEvent } from "@acme/kit/testing";
import { recordFigure } from "./report/results.js";
import { startBenchInfra } from "./support/infra.js";
import { ServiceProcesses } from "./support/service-processes.js";

const EVENTS = Number(process.env.BENCH_RECOVERY_EVENTS ?? 2_000);
const TARGET_SECONDS = 5;

const infra = await startBenchInfra();
const nc = await connect({ servers: infra.nats.url });
const services = new ServiceProcesses({ NATS_URL: infra.nats.url });
try {
  const jsm = await jetstreamManager(nc);
  await declareEventStream(jsm, "AUTH_EVENTS", "auth.events");
  const url = await infra.createDatabase("profile_recovery");
  const start = async (extra: Record<string, string>) =>
    (
      await services.start(
        "profile",
        {
          DATABASE_URL: url,
          CONSUMER_BATCH_SIZE: "50",
          AUTH_JWKS_URL: "http://127.0.0.1:1/.well-known/jwks.json",
          PORT: String(await freePort()),
          ...extra,
        },
        "ignore",
      )
    ).child;
  const pulling = async (count: number) =>
    waitUntil(`${count} profile instance(s) pulling`, async () => (await jsm.consumers.info("AUTH_EVENTS", "profile")).num_waiting >= count, 60_000);

  await start({});
  await pulling(1);
  const doomed = await start({ FAULT_KILL_BEFORE_COMMIT_AT: "1" });
  await pulling(2);
  let killedAt = 0;
  const killed = new Promise<NodeJS.Signals | null>((resolve) =>
    doomed.once("exit", (_code, signal) => {
      killedAt = performance.now();
      resolve(signal);
    }),
  );

  const js = jetstream(nc);
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < EVENTS; i++) {
    const userId = randomUUID();
    const p = publishEvent(js, {
      subject: "auth.events.user_registered.v1",
      schema: UserRegisteredSchema,
      entity: userId,
      message: { userId, email: `${userId}@example.com`, registeredAt: timestampNow(), revision: 1n },
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 128) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const signal = await Promise.race([killed, new Promise<"alive">((resolve) => setTimeout(() => resolve("alive"), 30_000))]);
  if (signal !== "SIGKILL") throw new Error(`the instance to kill was never handed a batch (${signal})`);

  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await waitUntil("every event applied", async () => Number((await sql`select count(*)::int as n from processed_events`)[0]!.n) === EVENTS, 120_000);
  const seconds = (performance.now() - killedAt) / 1000;
  await sql.end();
  const ackWait = ((await jsm.consumers.info("AUTH_EVENTS", "profile")).config.ack_wait ?? 0) / 1e9;
  recordFigure("P9", seconds, TARGET_SECONDS, `${EVENTS} events, batches of 50; consumer ack wait ${ackWait} s`);
} finally {
  await services.stop();
  await nc.close();
  await infra.stop();
}
