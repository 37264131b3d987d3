/**
 * P4: the whole pipeline. Registrations per second applied in both profile
 * and billing (auth, profile and billing each in a process of their own, the
 * relay and NATS between them; argon2id replaced by a constant-cost stub so
 * the hash does not hide the rest), against the raw SQL of the same three
 * transactions (auth's credentials + password + outbox row; each consumer's
 * inbox + row) written by hand with postgres.js at the same concurrency.
 * The raw side's databases are migrated like the services' own, so its auth
 * insert fires the same outbox trigger (and NOTIFY); it does not run
 * Register's throttle statement, which is part of what is measured.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { freePort, waitUntil } from "@acme/devstack";
import { runMigrations } from "@acme/kit/db";
import { MIGRATIONS_FOLDER as AUTH_MIGRATIONS } from "../services/auth/src/service.js";
import { MIGRATIONS_FOLDER as BILLING_MIGRATIONS } from "../services/billing/src/service.js";
import { MIGRATIONS_FOLDER as PROFILE_MIGRATIONS } from "../services/profile/src/service.js";
import { recordFigure } from "./report/results.js";
import { median, rate, startBenchInfra } from "./support/infra.js";
import { AUTH_WITH_STUB_HASHER, ServiceProcesses } from "./support/service-processes.js";

const PER_ROUND = Number(process.env.BENCH_PIPELINE_REGISTRATIONS ?? 2_000);
const ROUNDS = 3;
const CONCURRENCY = 16;
const PASSWORD = "correct horse battery staple";

const infra = await startBenchInfra();
const services = new ServiceProcesses({ NATS_URL: infra.nats.url });
try {
  const urls = {
    auth: await infra.createDatabase("auth_pipeline"),
    profile: await infra.createDatabase("profile_pipeline"),
    billing: await infra.createDatabase("billing_pipeline"),
  };
  const authPort = await freePort();
  await services.start(AUTH_WITH_STUB_HASHER, {
    DATABASE_URL: urls.auth,
    PORT: String(authPort),
    AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    // Every registration here comes from 127.0.0.1: lift the per-client limit.
    REGISTER_CLIENT_ATTEMPTS: "1000000",
  });
  const jwks = `http://127.0.0.1:${authPort}/.well-known/jwks.json`;
  await services.start("profile", { DATABASE_URL: urls.profile, PORT: String(await freePort()), AUTH_JWKS_URL: jwks });
  await services.start("billing", { DATABASE_URL: urls.billing, PORT: String(await freePort()), AUTH_JWKS_URL: jwks });
  const client = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${authPort}`, httpVersion: "1.1" }));
  const profileSql = postgres(urls.profile, { max: 1, onnotice: () => {} });
  const billingSql = postgres(urls.billing, { max: 1, onnotice: () => {} });
  const applied = async () => {
    const [[p], [b]] = await Promise.all([
      profileSql`select count(*)::int as n from processed_events`,
      billingSql`select count(*)::int as n from processed_events`,
    ]);
    return Math.min(Number(p!.n), Number(b!.n));
  };
  await waitUntil(
    "auth answering Register",
    () => client.register({ email: `warmup.${randomUUID()}@example.com`, password: PASSWORD }).then(() => true),
    60_000,
  );
  await waitUntil("the warm-up registration applied in profile and billing", async () => (await applied()) >= 1, 60_000);

  // The baseline's own databases, with the services' real tables.
  const raw = {
    auth: await infra.createDatabase("auth_raw"),
    profile: await infra.createDatabase("profile_raw"),
    billing: await infra.createDatabase("billing_raw"),
  };
  await runMigrations(raw.auth, AUTH_MIGRATIONS, "auth");
  await runMigrations(raw.profile, PROFILE_MIGRATIONS, "profile");
  await runMigrations(raw.billing, BILLING_MIGRATIONS, "billing");
  const rawSql = {
    auth: postgres(raw.auth, { max: 10, onnotice: () => {} }),
    profile: postgres(raw.profile, { max: 10, onnotice: () => {} }),
    billing: postgres(raw.billing, { max: 10, onnotice: () => {} }),
  };
  const payload = Buffer.alloc(120, 7);
  const rawRegistration = async () => {
    const userId = randomUUID();
    const eventId = randomUUID();
    const email = `${userId}@example.com`;
    await rawSql.auth.begin(async (tx) => {
      await tx`insert into credentials (user_id, contact_email, revision) values (${userId}, ${email}, 1)`;
      await tx`insert into passwords (user_id, hash) values (${userId}, ${`stub$${userId}`})`;
      await tx`insert into outbox (event_id, subject, partition_key, payload, headers) values (${eventId}, 'auth.events.user_registered.v1', ${userId}, ${payload}, ${"{}"}::jsonb)`;
    });
    await Promise.all([
      rawSql.profile.begin(async (tx) => {
        await tx`insert into processed_events (event_id) values (${eventId})`;
        await tx`insert into profiles (user_id, account_email, revision, created_at, updated_at) values (${userId}, ${email}, 1, now(), now())`;
      }),
      rawSql.billing.begin(async (tx) => {
        await tx`insert into processed_events (event_id) values (${eventId})`;
        await tx`insert into billing_contacts (user_id, account_email, revision, created_at, updated_at) values (${userId}, ${email}, 1, now(), now())`;
      }),
    ]);
  };

  const system: number[] = [];
  const baseline: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = await applied();
    const started = performance.now();
    const registerRate = await rate(PER_ROUND, CONCURRENCY, () => client.register({ email: `p${round}.${randomUUID()}@example.com`, password: PASSWORD }));
    const registered = performance.now();
    await waitUntil(`round ${round + 1}: every registration applied`, async () => (await applied()) >= before + PER_ROUND, 120_000);
    system.push(PER_ROUND / ((performance.now() - started) / 1000));
    // Which end bounds the figure: Register itself, or the relay and consumers behind it.
    const tailSeconds = (performance.now() - registered) / 1000;
    baseline.push(await rate(PER_ROUND, CONCURRENCY, rawRegistration));
    console.log(
      `round ${round + 1}/${ROUNDS}: pipeline ${system[round]!.toFixed(0)} registrations/s applied in both (Register alone ${registerRate.toFixed(0)}/s, the last applied ${tailSeconds.toFixed(2)} s after it); raw SQL ${baseline[round]!.toFixed(0)}/s`,
    );
  }
  recordFigure("P4", median(system), median(baseline), `${PER_ROUND} registrations a round, ${CONCURRENCY} at a time`);
  await Promise.all([profileSql.end(), billingSql.end(), ...Object.values(rawSql).map((s) => s.end())]);
} finally {
  await services.stop();
  await infra.stop();
}
