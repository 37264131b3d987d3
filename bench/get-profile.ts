/**
 * GetProfile throughput against a bare connect-node handler doing the same
 * primary-key read with raw postgres.js (target >= 90%), measured side by
 * side in alternating rounds, same client, same load; every server in a
 * process of its own, started the same way (the launcher's Node flags), the
 * load generator in this one. GetProfile runs twice:
 * tracing off (OTEL_SDK_DISABLED=true) and tracing on, exporting every span
 * (OTLP http/protobuf) to a local sink; the overhead is printed.
 *
 * - baseline (bench/support/bare-profile-server.ts): connectNodeAdapter +
 *   node:http, one route, `select ... where user_id = $1` on a postgres.js
 *   pool: no token, no checks, no metrics;
 * - profile: the real service (its main.ts), NATS and all: one port for Connect,
 *   gRPC and gRPC-Web, metrics interceptor, EdDSA token verified against a
 *   JWKS, owner check, Drizzle read, error mapping.
 *
 * The client is raw node:http with keep-alive (Connect JSON over HTTP/1.1),
 * each request as a different user with that user's token.
 */
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import postgres from "postgres";
import { freePort, waitUntil } from "@acme/devstack";
import { runMigrations } from "@acme/kit/db";
import { startTokenIssuerStub } from "@acme/kit/testing";
import { startOtlpReceiver } from "@acme/testing/otlp-receiver";
import { MIGRATIONS_FOLDER } from "../services/profile/src/service.js";
import { recordFigure } from "./report/results.js";
import { median, startBenchInfra } from "./support/infra.js";
import { ServiceProcesses } from "./support/service-processes.js";

const USERS = 1_000;
const ROUNDS = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CONCURRENCY = 32;

const BARE_SERVER = "bench/support/bare-profile-server.ts";

const infra = await startBenchInfra();
const services = new ServiceProcesses({ NATS_URL: infra.nats.url });
const tokens = await startTokenIssuerStub();
const sink = await startOtlpReceiver({ decode: false });
try {
  const url = await infra.createDatabase("profile_bench");
  await runMigrations(url, MIGRATIONS_FOLDER, "profile");
  const users = Array.from({ length: USERS }, () => randomUUID());
  const seed = postgres(url, { max: 1, onnotice: () => {} });
  await seed`insert into profiles (user_id, account_email, revision, created_at, updated_at)
    select id, id || '@example.com', 1, now(), now() from unnest(${users}::text[]) as id`;
  await seed.end();
  const bearer = await Promise.all(users.map(async (u) => `Bearer ${await tokens.token(u)}`));

  // Each server in a process of its own (the load generator is this one); the baseline does the same read, nothing else.
  const barePort = await freePort();
  await services.start(BARE_SERVER, { DATABASE_URL: url, PORT: String(barePort) });
  const settings = { DATABASE_URL: url, AUTH_JWKS_URL: tokens.jwksUrl, LOG_LEVEL: "error" };
  const profilePort = await freePort();
  await services.start("profile", { ...settings, PORT: String(profilePort), OTEL_SDK_DISABLED: "true" });
  const tracedPort = await freePort();
  await services.start("profile", { ...settings, PORT: String(tracedPort), OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint });
  const answers = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/acme.profile.v1.ProfileService/GetProfile`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: bearer[0]! },
      body: JSON.stringify({ userId: users[0] }),
    });
    return res.status === 200;
  };
  for (const port of [barePort, profilePort, tracedPort]) await waitUntil(`a server answering on ${port}`, () => answers(port), 60_000);

  /** Requests per second over SECONDS, CONCURRENCY in flight; every answer must be 200 with the asked user. */
  async function load(port: number): Promise<number> {
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const deadline = performance.now() + SECONDS * 1000;
    let done = 0;
    let next = 0;
    const once = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const i = n % USERS;
        const body = `{"userId":"${users[i]}"}`;
        const req = request(
          {
            agent,
            host: "127.0.0.1",
            port,
            method: "POST",
            path: "/acme.profile.v1.ProfileService/GetProfile",
            headers: { "content-type": "application/json", "content-length": body.length, authorization: bearer[i] },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (text += chunk));
            res.on("end", () => (res.statusCode === 200 && text.includes(users[i]!) ? resolve() : reject(new Error(`${res.statusCode}: ${text}`))));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          await once(next++);
          done++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    return done / seconds;
  }

  await load(barePort); // warm up both (JIT, prepared statements, JWKS fetch)
  await load(profilePort);
  await load(tracedPort);
  const bareRates: number[] = [];
  const profileRates: number[] = [];
  const tracedRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate who goes first: this machine's noise should not favour one side.
    const runs = [
      async () => bareRates.push(await load(barePort)),
      async () => profileRates.push(await load(profilePort)),
      async () => tracedRates.push(await load(tracedPort)),
    ];
    for (let i = 0; i < runs.length; i++) await runs[(round + i) % runs.length]!();
    console.log(
      `round ${round + 1}/${ROUNDS}: bare connect-node + postgres.js ${bareRates[round]!.toFixed(0)} rps, GetProfile tracing off ${profileRates[round]!.toFixed(0)} rps, tracing on ${tracedRates[round]!.toFixed(0)} rps`,
    );
  }
  recordFigure("P6", median(profileRates), median(bareRates));
  recordFigure("P6.traced", median(tracedRates), median(bareRates), "tracing on: every span exported to a local OTLP sink");
  console.log(
    `tracing overhead on GetProfile: ${((1 - median(tracedRates) / median(profileRates)) * 100).toFixed(1)}% fewer rps (${sink.requests.protobuf} OTLP export requests received)`,
  );
} finally {
  await services.stop();
  await sink.close();
  await tokens.close();
  await infra.stop();
}
