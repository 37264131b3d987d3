import { randomUUID } from "node:crypto";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import postgres, { type Sql } from "postgres";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { createLogger } from "@acme/kit/logging";
import { connectNats } from "@acme/kit/nats";
import { declareEventStream, startTokenIssuerStub, type TokenIssuerStub, authStandIn, type AuthStandIn } from "@acme/kit/testing";
import { createTestDatabase, natsUrl, testNamespace, type TestDatabase } from "@acme/testing";
import { loadConfig, type BillingConfig } from "../../src/config.js";
import { startBillingService, type RunningBillingService } from "../../src/service.js";
import { bearer } from "@acme/testing/bearer";

export interface BillingFixture {
  /** The environment a billing process of this fixture runs with. */
  env: Record<string, string>;
  config: BillingConfig;
  sql: Sql;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  auth: AuthStandIn;
  tokens: TokenIssuerStub;
  /** Starts an in-process billing service on a free port. */
  start(hooks?: Parameters<typeof startBillingService>[2]): Promise<RunningBillingService>;
  client(service: RunningBillingService, token?: string): Client<typeof BillingService>;
  newUserId(): string;
  close(): Promise<void>;
}

/**
 * One test file's world: its own database, stream, subjects, durable and
 * dead-letter names on the shared test servers, a stand-in for auth's
 * events and a JWKS for its tokens.
 */
export async function billingFixture(label: string, options: { declareStream?: boolean; env?: Record<string, string> } = {}): Promise<BillingFixture> {
  const ns = testNamespace();
  const database: TestDatabase = await createTestDatabase(label);
  const tokens = await startTokenIssuerStub();
  const env: Record<string, string> = {
    PORT: "0",
    ADMIN_PORT: "0",
    DATABASE_URL: database.url,
    NATS_URL: natsUrl(),
    AUTH_EVENTS_STREAM: ns.stream("AUTH_EVENTS"),
    AUTH_EVENTS_SUBJECT_PREFIX: ns.subjectPrefix("auth.events"),
    AUTH_JWKS_URL: tokens.jwksUrl,
    CONSUMER_NAME: ns.name("billing"),
    CONSUMER_ACK_WAIT_MS: "2000",
    CONSUMER_MAX_DELIVER: "3",
    CONSUMER_BACKOFF_MS: "100,200",
    DLQ_STREAM: ns.stream("DLQ_BILLING"),
    DLQ_SUBJECT_PREFIX: ns.subjectPrefix("dlq.billing"),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...options.env,
  };
  const config = loadConfig(env);
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const nc = await connectNats({ url: natsUrl(), name: `test-${label}` });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  if (options.declareStream !== false) await declareEventStream(jsm, config.AUTH_EVENTS_STREAM, config.AUTH_EVENTS_SUBJECT_PREFIX);
  const started: RunningBillingService[] = [];

  return {
    env,
    config,
    sql,
    nc,
    js,
    jsm,
    auth: authStandIn(js, config.AUTH_EVENTS_SUBJECT_PREFIX),
    tokens,
    async start(hooks) {
      const service = await startBillingService(config, createLogger("billing", config.LOG_LEVEL), hooks);
      started.push(service);
      return service;
    },
    client(service, token) {
      return createClient(
        BillingService,
        createConnectTransport({
          baseUrl: `http://127.0.0.1:${service.port}`,
          httpVersion: "1.1",
          ...(token ? { interceptors: [bearer(token)] } : {}),
        }),
      );
    },
    newUserId: () => randomUUID(),
    async close() {
      await Promise.allSettled(started.map((s) => s.stop()));
      await nc.drain().catch(() => {});
      await sql.end({ timeout: 1 });
      await tokens.close();
      await database.drop();
    },
  };
}
