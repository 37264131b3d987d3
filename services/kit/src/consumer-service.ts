import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";
import { remoteKeySet } from "./auth/access-token.js";
import { DEFAULT_ACCESS_TOKEN_MAX_AGE_SECONDS } from "./auth/access-token.js";
import { requireAccessToken } from "./auth/caller.js";
import type { ConsumerSettings } from "./consumer/consumer-settings.js";
import { startEventConsumer, type EventConsumer } from "./consumer/event-consumer.js";
import { pruneInbox } from "./consumer/inbox-pruning.js";
import type { EventRoute } from "./consumer/event-route.js";
import { databaseReadiness, openDatabase, waitForDatabase } from "./db/database.js";
import { runMigrations } from "./db/migrate.js";
import { killOnNthCall } from "./fault-injection.js";
import type { Logger } from "./logging.js";
import { checkNatsTls, connectNats, natsReadiness, natsTlsFromEnv } from "./nats.js";
import { consumerAdminRoutes } from "./consumer/consumer-admin.js";
import { startTelemetry } from "./observability/telemetry.js";
import type { TelemetryEnv } from "./observability/telemetry-env.js";
import type { Tracer } from "./observability/spans.js";
import { createMetrics } from "./server/metrics.js";
import { serverLimits, type ServerLimitsConfig } from "./env.js";
import type { DomainErrorMapping } from "./server/error-mapping.js";
import { startServiceServer } from "./server/service-server.js";

/** The settings every event-consuming service parses from its environment. */
export interface ConsumerServiceConfig extends TelemetryEnv, Partial<ServerLimitsConfig> {
  PORT: number;
  /** Operations port: /readyz, /metrics and the admin RPCs. */
  ADMIN_PORT: number;
  ADMIN_TOKEN?: string | undefined;
  HOST: string;
  DATABASE_URL: string;
  NATS_URL: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_TLS_CA?: string | undefined;
  NATS_TLS_CERT?: string | undefined;
  NATS_TLS_KEY?: string | undefined;
  AUTH_JWKS_URL: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  /** Test-only (tools/faults): kill -9 before COMMIT / after COMMIT at the Nth batch. */
  FAULT_KILL_BEFORE_COMMIT_AT?: number | undefined;
  FAULT_KILL_AFTER_COMMIT_AT?: number | undefined;
  /** How long applied event ids stay in the inbox (default 30 days). */
  INBOX_RETENTION_DAYS?: number | undefined;
  /** Oldest access token (by iat) accepted, whatever its exp (default 24 h). */
  ACCESS_TOKEN_MAX_AGE_SECONDS?: number | undefined;
  TRUST_PROXY_HOPS?: number | undefined;
}

export interface ConsumerServiceHooks {
  /** Test seam, passed to the consumer: runs between COMMIT and ack. */
  onCommitted?: (eventIds: string[]) => void | Promise<void>;
  /** Test seam, passed to the consumer: runs inside a batch's transaction, before COMMIT. */
  beforeCommit?: (eventIds: string[]) => void | Promise<void>;
}

export interface RunningConsumerService {
  readonly port: number;
  readonly adminPort: number;
  /** The event consumer, once NATS has been reached. */
  consumer(): EventConsumer | undefined;
  /** Graceful: stop taking RPCs and pulling events, finish what is in hand, close. */
  stop(): Promise<void>;
}

export interface ConsumerServiceSpec<TSchema extends Record<string, unknown>> {
  name: string;
  config: ConsumerServiceConfig;
  logger: Logger;
  migrationsFolder: string;
  schema: TSchema;
  /** The RPC service; every call to it needs an access token from auth. */
  rpcService: DescService;
  /** The service's domain errors as Connect errors (server/error-mapping.ts). */
  toConnectError?: DomainErrorMapping;
  routes: (db: PostgresJsDatabase<TSchema>) => (router: ConnectRouter) => void;
  /** The service's handlers, each run inside the consumer's transaction. */
  eventRoutes: EventRoute<never>[];
  consumerSettings: ConsumerSettings;
  hooks?: ConsumerServiceHooks;
  /** Work of the service's own beside the consumer (notifications' mail sender); stopped after the consumer, before the database closes. */
  worker?: (resources: { db: PostgresJsDatabase<TSchema>; sql: Sql; registry: Registry; tracer: Tracer }) => { stop(): Promise<void> };
  /** Admin services of the service's own, served on the admin port beside the dead-letter and consumer-status ones. */
  adminRoutes?: (db: PostgresJsDatabase<TSchema>) => (router: ConnectRouter) => void;
}

/**
 * The shape shared by services that build their tables from auth's events
 * and answer queries about them (profile, billing): migrations, database,
 * the RPC server with token checks, and, as soon as NATS answers (it may be
 * down at start), the consumer. Each service brings its own schema, routes
 * and event handlers.
 */
export async function startConsumerService<TSchema extends Record<string, unknown>>(
  spec: ConsumerServiceSpec<TSchema>,
): Promise<RunningConsumerService> {
  const { name, config, logger } = spec;
  const telemetry = startTelemetry({ service: name, env: config, logger });
  const { tracer } = telemetry;
  const natsSettings = { url: config.NATS_URL, user: config.NATS_USER, password: config.NATS_PASSWORD, name, inboxPrefix: `_INBOX_${name}`, tls: natsTlsFromEnv(config) };
  // TLS settings that cannot work stop the start here, named; a NATS that is down does not.
  await checkNatsTls(natsSettings);
  await waitForDatabase(config.DATABASE_URL, (message) => logger.warn(message));
  await runMigrations(config.DATABASE_URL, spec.migrationsFolder, name);
  const database = openDatabase(config.DATABASE_URL, spec.schema, { applicationName: name });
  const metrics = createMetrics(name);
  telemetry.registerMetrics(metrics.registry);
  const worker = spec.worker?.({ db: database.db, sql: database.sql, registry: metrics.registry, tracer });

  // Off unless a test sets FAULT_* (tools/faults): kill -9 at the Nth batch.
  const onCommitted = spec.hooks?.onCommitted ?? killOnNthCall(config.FAULT_KILL_AFTER_COMMIT_AT);
  const beforeCommit = spec.hooks?.beforeCommit ?? killOnNthCall(config.FAULT_KILL_BEFORE_COMMIT_AT);

  let stopping = false;
  let nats: NatsConnection | undefined;
  let consumer: EventConsumer | undefined;
  void (async () => {
    const nc = await connectNats(natsSettings);
    nats = nc;
    if (stopping) return;
    consumer = startEventConsumer({
      nc,
      db: database.db,
      settings: spec.consumerSettings,
      routes: spec.eventRoutes as never,
      logger,
      registry: metrics.registry,
      tracer,
      ...(onCommitted ? { onCommitted } : {}),
      ...(beforeCommit ? { beforeCommit } : {}),
    });
  })().catch((error: unknown) => logger.error({ err: error }, "could not start consuming events"));

  const server = await startServiceServer({
    service: name,
    rpcServiceNames: [spec.rpcService.typeName],
    routes: spec.routes(database.db),
    ...(spec.toConnectError ? { toConnectError: spec.toConnectError } : {}),
    interceptors: [
      requireAccessToken({
        keys: remoteKeySet(config.AUTH_JWKS_URL, tracer),
        policy: { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxAgeSeconds: config.ACCESS_TOKEN_MAX_AGE_SECONDS ?? DEFAULT_ACCESS_TOKEN_MAX_AGE_SECONDS },
        services: [spec.rpcService],
      }),
    ],
    port: config.PORT,
    host: config.HOST,
    trustProxyHops: config.TRUST_PROXY_HOPS ?? 0,
    limits: serverLimits(config),
    metrics,
    logger,
    tracer,
    admin: {
      port: config.ADMIN_PORT,
      token: config.ADMIN_TOKEN,
      routes: withOwnAdminRoutes(spec.adminRoutes?.(database.db), consumerAdminRoutes({
        nats: () => nats,
        consumer: () => consumer,
        db: database.db,
        sql: database.sql,
        settings: spec.consumerSettings,
        routes: spec.eventRoutes as never,
        tracer,
      })),
    },
    readiness: {
      database: databaseReadiness(database.sql),
      nats: natsReadiness(() => nats),
    },
  });

  const retentionMs = (config.INBOX_RETENTION_DAYS ?? 30) * 86_400_000;
  const pruning = setInterval(() => {
    pruneInbox(database.sql, spec.consumerSettings.inboxTable, retentionMs).then(
      (deleted) => deleted > 0 && logger.info({ deleted }, "pruned applied event ids past the inbox retention"),
      (error: unknown) => logger.warn({ reason: (error as Error).message }, "inbox pruning failed; next try in an hour"),
    );
  }, 3_600_000);
  pruning.unref();

  let stopped: Promise<void> | undefined;
  return {
    port: server.port,
    adminPort: server.adminPort,
    consumer: () => consumer,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(pruning);
        await server.shutdown();
        await consumer?.stop();
        await worker?.stop();
        if (nats) await nats.drain().catch(() => nats?.close());
        await database.close();
        await telemetry.shutdown();
        logger.info(`${name} stopped`);
      })();
      return stopped;
    },
  };
}

function withOwnAdminRoutes(own: ((router: ConnectRouter) => void) | undefined, shared: (router: ConnectRouter) => void) {
  return (router: ConnectRouter) => {
    shared(router);
    own?.(router);
  };
}
