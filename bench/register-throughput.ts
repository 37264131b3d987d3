/**
 * Register throughput against raw argon2id hashing with the same parameters
 * and concurrency, measured side by side in alternating rounds (target >= 85%:
 * hashing, not the pipeline, should bound registrations).
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { hash } from "@node-rs/argon2";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { createLogger } from "@acme/kit/logging";
import { loadConfig } from "../services/auth/src/config.js";
import { ARGON2ID_PARAMS } from "../services/auth/src/security/password-hasher.js";
import { startAuthService } from "../services/auth/src/service.js";
import { median, rate, report, rssMb, startBenchInfra } from "./support/infra.js";

const ROUNDS = 3;
const PER_ROUND = Number(process.env.BENCH_REGISTRATIONS ?? 200);
const CONCURRENCY = 8;

const infra = await startBenchInfra();
try {
  const url = await infra.createDatabase("auth_bench");
  const auth = await startAuthService(
    loadConfig({ DATABASE_URL: url, NATS_URL: infra.nats.url, PORT: "0", ADMIN_PORT: "0", LOG_LEVEL: "warn" }),
    createLogger("auth", "warn"),
  );
  const client = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${auth.port}`, httpVersion: "1.1" }));
  console.log(`auth idle RSS (bench process, auth in-process): ${rssMb()} MB`);
  await client.register({ email: "warmup@example.com", password: "correct horse battery" });

  const raw: number[] = [];
  const registers: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    raw.push(await rate(PER_ROUND, CONCURRENCY, () => hash(`correct horse battery`, ARGON2ID_PARAMS)));
    registers.push(await rate(PER_ROUND, CONCURRENCY, (n) => client.register({ email: `r${round}u${n}@example.com`, password: "correct horse battery" })));
    console.log(`round ${round + 1}/${ROUNDS}: raw argon2id ${raw[round]!.toFixed(0)}/s, Register ${registers[round]!.toFixed(0)}/s`);
  }
  console.log(`auth RSS under load (bench process): ${rssMb()} MB`);
  report("Register throughput vs raw argon2id", median(registers), median(raw), "ops/s", 0.85);
  await auth.stop();
} finally {
  await infra.stop();
}
