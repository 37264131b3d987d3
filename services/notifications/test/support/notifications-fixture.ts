import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import postgres, { type Sql } from "postgres";
import { NotificationService } from "@acme/gen/acme/notifications/v1/notification_service_pb";
import { freePort, startMailSink, waitUntil, type MailSink, type SunkMail } from "@acme/devstack";
import { createLogger } from "@acme/kit/logging";
import { connectNats } from "@acme/kit/nats";
import { authStandIn, type AuthStandIn, declareEventStream, startTokenIssuerStub, type TokenIssuerStub } from "@acme/kit/testing";
import { createTestDatabase, natsUrl, testNamespace, type TestDatabase } from "@acme/testing";
import { loadConfig, type NotificationsConfig } from "../../src/config.js";
import { startNotificationsService, type RunningNotificationsService } from "../../src/service.js";
import { bearer } from "@acme/testing/bearer";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export interface NotificationsFixture {
  /** The environment a notifications process of this fixture runs with. */
  env: Record<string, string>;
  /** Where the sink keeps its .eml files, and its port. */
  mailDir: string;
  smtpPort: number;
  config: NotificationsConfig;
  sql: Sql;
  nc: NatsConnection;
  jsm: JetStreamManager;
  auth: AuthStandIn;
  tokens: TokenIssuerStub;
  /** The real SMTP server the service sends to (restartable on the same port). */
  sink(): MailSink;
  startSink(): Promise<MailSink>;
  stopSink(): Promise<void>;
  /** Waits until the sink holds a mail with this Message-ID, and returns every copy of it. */
  mailWithId(messageId: string): Promise<SunkMail[]>;
  start(): Promise<RunningNotificationsService>;
  client(service: RunningNotificationsService, token: string): Client<typeof NotificationService>;
  /** A client of an admin service on the service's admin port, with the admin token. */
  admin<S extends DescService>(service: RunningNotificationsService, desc: S): Client<S>;
  newUserId(): string;
  close(): Promise<void>;
}

/**
 * One test file's world: its own database, stream, durable and dead-letter
 * names on the shared test servers, auth's events from a stand-in, a JWKS,
 * and a real SMTP server (the dev mail sink) writing to a temp folder.
 */
export async function notificationsFixture(label: string, env: Record<string, string> = {}): Promise<NotificationsFixture> {
  const ns = testNamespace();
  const database: TestDatabase = await createTestDatabase(label);
  const tokens = await startTokenIssuerStub();
  const mailDir = await mkdtemp(join(tmpdir(), "notifications-mail-"));
  const smtpPort = await freePort();
  const processEnv: Record<string, string> = {
    PORT: "0",
    ADMIN_PORT: "0",
    ADMIN_TOKEN: ADMIN_TOKEN,
    DATABASE_URL: database.url,
    NATS_URL: natsUrl(),
    AUTH_EVENTS_STREAM: ns.stream("AUTH_EVENTS"),
    AUTH_EVENTS_SUBJECT_PREFIX: ns.subjectPrefix("auth.events"),
    AUTH_JWKS_URL: tokens.jwksUrl,
    CONSUMER_NAME: ns.name("notifications"),
    CONSUMER_ACK_WAIT_MS: "2000",
    CONSUMER_MAX_DELIVER: "4",
    CONSUMER_BACKOFF_MS: "200,400,800",
    DLQ_STREAM: ns.stream("DLQ_NOTIFICATIONS"),
    DLQ_SUBJECT_PREFIX: ns.subjectPrefix("dlq.notifications"),
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    MAIL_MESSAGE_ID_DOMAIN: "notifications.acme.test",
    MAIL_POLL_MS: "200",
    MAIL_RETRY_BASE_MS: "100",
    MAIL_RETRY_MAX_MS: "500",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...env,
  };
  const config = loadConfig(processEnv);
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const nc = await connectNats({ url: natsUrl(), name: `test-${label}` });
  const jsm = await jetstreamManager(nc);
  await declareEventStream(jsm, config.AUTH_EVENTS_STREAM, config.AUTH_EVENTS_SUBJECT_PREFIX);
  const started: RunningNotificationsService[] = [];
  let sink: MailSink | undefined;
  const startSink = async () => (sink = await startMailSink({ dir: mailDir, port: smtpPort }));
  await startSink();

  return {
    env: processEnv,
    mailDir,
    smtpPort,
    config,
    sql,
    nc,
    jsm,
    auth: authStandIn(jetstream(nc), config.AUTH_EVENTS_SUBJECT_PREFIX),
    tokens,
    sink: () => sink!,
    startSink,
    async stopSink() {
      await sink?.stop();
      sink = undefined;
    },
    async mailWithId(messageId) {
      let copies: SunkMail[] = [];
      await waitUntil(
        `mail ${messageId} in the sink`,
        async () => {
          copies = (await sink!.messages()).filter((m) => m.messageId === messageId);
          return copies.length > 0;
        },
        15_000,
      );
      return copies;
    },
    async start() {
      const service = await startNotificationsService(config, createLogger("notifications", config.LOG_LEVEL));
      started.push(service);
      return service;
    },
    client(service, token) {
      return createClient(
        NotificationService,
        createConnectTransport({
          baseUrl: `http://127.0.0.1:${service.port}`,
          httpVersion: "1.1",
          interceptors: [bearer(token)],
        }),
      );
    },
    admin(service, desc) {
      return createClient(
        desc,
        createConnectTransport({
          baseUrl: `http://127.0.0.1:${service.adminPort}`,
          httpVersion: "1.1",
          interceptors: [bearer(ADMIN_TOKEN)],
        }),
      );
    },
    newUserId: () => randomUUID(),
    async close() {
      await Promise.allSettled(started.map((s) => s.stop()));
      await sink?.stop();
      await nc.drain().catch(() => {});
      await sql.end({ timeout: 1 });
      await tokens.close();
      await database.drop();
      await rm(mailDir, { recursive: true, force: true });
    },
  };
}
