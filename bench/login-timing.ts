/**
 * P7: does Login's latency tell an attacker whether an account exists? The
 * median latency of Login with an unknown email against Login with a wrong
 * password for an existing account, interleaved one at a time in the same
 * run (target: the ratio between 0.9 and 1.1). Every attempt uses its own
 * account and its own client address (X-Forwarded-For behind one trusted
 * proxy hop), so the throttle never answers early for either side.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { createLogger } from "@acme/kit/logging";
import { loadConfig } from "../services/auth/src/config.js";
import { startAuthService } from "../services/auth/src/service.js";
import { recordFigure } from "./report/results.js";
import { median, startBenchInfra } from "./support/infra.js";

const SAMPLES = Number(process.env.BENCH_LOGIN_SAMPLES ?? 100);
const PASSWORD = "correct horse battery staple";

const infra = await startBenchInfra();
try {
  const url = await infra.createDatabase("auth_login_timing");
  const auth = await startAuthService(
    loadConfig({
      DATABASE_URL: url,
      NATS_URL: infra.nats.url,
      PORT: "0",
      ADMIN_PORT: "0",
      LOG_LEVEL: "error",
      TRUST_PROXY_HOPS: "1",
      REGISTER_CLIENT_ATTEMPTS: "1000000",
      AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    }),
    createLogger("auth", "error"),
  );
  const client = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${auth.port}`, httpVersion: "1.1" }));
  const tag = randomUUID().slice(0, 8);
  const existing = Array.from({ length: SAMPLES }, (_, i) => `exists.${tag}.${i}@example.com`);
  // The accounts are registered from one address: REGISTER_CLIENT_ATTEMPTS lifts that limit (the timed logins each come from their own).
  for (const email of existing) await client.register({ email, password: PASSWORD });

  /** One refused Login, timed; it must be refused as unauthenticated, not throttled. */
  const timedLogin = async (email: string, n: number): Promise<number> => {
    const started = performance.now();
    const error = await client
      .login({ email, password: "not the password at all" }, { headers: { "x-forwarded-for": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` } })
      .then(
        () => new Error("login succeeded with a wrong password"),
        (e: unknown) => e,
      );
    const elapsed = performance.now() - started;
    if (!(error instanceof ConnectError) || error.code !== Code.Unauthenticated) throw new Error(`expected unauthenticated, got ${String(error)}`);
    return elapsed;
  };

  const unknown: number[] = [];
  const wrong: number[] = [];
  await timedLogin(`warmup.${tag}@example.com`, 0);
  for (let i = 0; i < SAMPLES; i++) {
    // Alternate who goes first, so drift in the machine's load favours neither.
    const pair = [
      () => timedLogin(`nobody.${tag}.${i}@example.com`, 2 * i + 1).then((ms) => unknown.push(ms)),
      () => timedLogin(existing[i]!, 2 * i + 2).then((ms) => wrong.push(ms)),
    ];
    if (i % 2 === 1) pair.reverse();
    for (const run of pair) await run();
  }
  console.log(`Login, unknown email: median ${median(unknown).toFixed(2)} ms; wrong password: median ${median(wrong).toFixed(2)} ms (n=${SAMPLES} each)`);
  recordFigure("P7", median(unknown), median(wrong));
  await auth.stop();
} finally {
  await infra.stop();
}
