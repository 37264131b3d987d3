/**
 * P1: Register throughput against raw argon2id hashing with the same
 * parameters and concurrency, measured side by side in alternating rounds
 * (target >= 85%: hashing, not the pipeline, should bound registrations).
 * The work runs in a process of its own on both sides, apart from the load
 * generator (this process): auth as `npm start` runs it (its Node flags
 * and two hashing threads), the baseline as bench/support/argon2-worker.ts
 * with the same threads.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { freePort, waitUntil } from "@acme/devstack";
import { AUTH_THREADPOOL_SIZE } from "@acme/launcher/service-env";
import { recordFigure } from "./report/results.js";
import { cpuProfileFlags, median, rate, startBenchInfra } from "./support/infra.js";
import { ServiceProcesses } from "./support/service-processes.js";

const ROUNDS = 3;
const PER_ROUND = Number(process.env.BENCH_REGISTRATIONS ?? 200);
const CONCURRENCY = 8;
const WORKER = fileURLToPath(new URL("./support/argon2-worker.ts", import.meta.url));

const infra = await startBenchInfra();
const services = new ServiceProcesses({ NATS_URL: infra.nats.url });
const port = await freePort();
await services.start("auth", {
  DATABASE_URL: await infra.createDatabase("auth_bench"),
  PORT: String(port),
  AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  // Every registration here comes from 127.0.0.1: lift the per-client limit to measure hashing, not the throttle.
  REGISTER_CLIENT_ATTEMPTS: "1000000",
});
try {
  const client = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1" }));
  await waitUntil(
    "auth answering Register",
    () => client.register({ email: `warmup${Date.now()}@example.com`, password: "correct horse battery" }).then(() => true),
    60_000,
  );

  const raw: number[] = [];
  const registers: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Not spawnSync: a blocked event loop would let the server close our idle keep-alive sockets.
    // The same hashing threads as auth: "same parameters and concurrency" (libuv's default four measured 112/s here, two 135/s).
    const worker = await promisify(execFile)(process.execPath, [...cpuProfileFlags(), "--import", "tsx", WORKER, String(PER_ROUND), String(CONCURRENCY)], {
      encoding: "utf8",
      env: { ...process.env, UV_THREADPOOL_SIZE: AUTH_THREADPOOL_SIZE },
    });
    raw.push(Number(worker.stdout.trim()));
    registers.push(await rate(PER_ROUND, CONCURRENCY, (n) => client.register({ email: `r${round}u${n}@example.com`, password: "correct horse battery" })));
    console.log(`round ${round + 1}/${ROUNDS}: raw argon2id ${raw[round]!.toFixed(0)}/s, Register ${registers[round]!.toFixed(0)}/s`);
  }
  recordFigure("P1", median(registers), median(raw));
} finally {
  await services.stop();
  await infra.stop();
}
