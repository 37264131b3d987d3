/**
 * GetProfile throughput against a bare connect-node handler doing the same
 * primary-key read with raw postgres.js (target >= 50%), measured side by
 * side in alternating rounds, same client, same load. GetProfile runs twice:
 * tracing off (OTEL_SDK_DISABLED=true) and tracing on, exporting every span
 * (OTLP http/protobuf) to a local sink; the overhead is printed.
 *
 * - baseline: connectNodeAdapter + node:http, one route, `select ... where
 *   user_id = $1` on a postgres.js pool: no token, no checks, no metrics;
 * - profile: the real service (startProfileService): one port for Connect,
 *   gRPC and gRPC-Web, metrics interceptor, EdDSA token verified against a
 *   JWKS, owner check, Drizzle read, error mapping.
 *
 * The client is raw node:http with keep-alive (Connect JSON over HTTP/1.1),
 * each request as a different user with that user's token.
 */
import { randomUUID } from "node:crypto";
import { Agent, createServer, request } from "node:http";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import postgres from "postgres";
import { ProfileSchema, ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { runMigrations } from "@acme/kit/db";
import { createLogger } from "@acme/kit/logging";
import { startTokenIssuerStub } from "@acme/kit/testing";
import { startOtlpReceiver } from "@acme/testing/otlp-receiver";
import { loadConfig } from "../services/profile/src/config.js";
import { MIGRATIONS_FOLDER, startProfileService } from "../services/profile/src/service.js";
import { recordFigure } from "./report/results.js";
import { median, startBenchInfra } from "./support/infra.js";

const USERS = 1_000;
const ROUNDS = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CONCURRENCY = 32;

const infra = await startBenchInfra();
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

  // The baseline: the same read, nothing else.
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  const bare = createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(ProfileService, {
          async getProfile(req) {
            const [row] = await sql<
              { user_id: string; account_email: string; own_display_name: string | null; avatar_url: string; created_at: Date; updated_at: Date }[]
            >`
              select user_id, account_email, own_display_name, avatar_url, created_at, updated_at from profiles where user_id = ${req.userId}`;
            return {
              profile: create(ProfileSchema, {
                userId: row!.user_id,
                displayName: row!.own_display_name ?? row!.account_email,
                avatarUrl: row!.avatar_url,
                createdAt: timestampFromDate(row!.created_at),
                updatedAt: timestampFromDate(row!.updated_at),
              }),
            };
          },
        }),
    }),
  );
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const barePort = (bare.address() as { port: number }).port;

  const settings = { DATABASE_URL: url, NATS_URL: infra.nats.url, PORT: "0", ADMIN_PORT: "0", AUTH_JWKS_URL: tokens.jwksUrl, LOG_LEVEL: "error" };
  const profile = await startProfileService(loadConfig({ ...settings, OTEL_SDK_DISABLED: "true" }), createLogger("profile", "error"));
  const traced = await startProfileService(loadConfig({ ...settings, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint }), createLogger("profile", "error"));

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
  await load(profile.port);
  await load(traced.port);
  const bareRates: number[] = [];
  const profileRates: number[] = [];
  const tracedRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate who goes first: this machine's noise should not favour one side.
    const runs = [
      async () => bareRates.push(await load(barePort)),
      async () => profileRates.push(await load(profile.port)),
      async () => tracedRates.push(await load(traced.port)),
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
  await profile.stop();
  await traced.stop();
  await new Promise((resolve) => bare.close(resolve));
  await sql.end();
} finally {
  await sink.close();
  await tokens.close();
  await infra.stop();
}
