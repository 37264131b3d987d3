import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";
import { DEFAULT_ACCESS_TOKEN_MAX_AGE_SECONDS, remoteKeySet } from "./auth/access-token.js";
import { requireAccessToken } from "./auth/caller.js";
import { consumerAdminRoutes } from "./consumer/consumer-admin.js";
import type { ConsumerSettings } from "./consumer/consumer-settings.js";
import { startEventConsumer, type EventConsumer } from "./consumer/event-consumer.js";
import type { EventRoute } from "./consumer/event-route.js";
import { pruneInbox } from "./consumer/inbox-pruning.js";
import { serverLimits, type ServerLimitsConfig } from "./env.js";
import { killOnNthCall } from "./fault-injection.js";
import type { Logger } from "./logging.js";
import { natsSettingsFrom, type NatsEnv } from "./nats.js";
import type { Tracer } from "./observability/spans.js";
import type { DomainErrorMapping } from "./server/error-mapping.js";
import type { TelemetryEnv } from "./observability/telemetry-env.js";
import { startServiceServer, type ServiceServer } from "./server/service-server.js";
import { startFoundation, type Foundation } from "./service-foundation.js";

/** The settings every event-consuming service parses from its environment (consumerServiceConfig). */
export interface ConsumerServiceConfig extends TelemetryEnv, NatsEnv, Partial<ServerLimitsConfig> {
  PORT: number;
  /** Operations port: /readyz, /metrics and the admin RPCs. */
  ADMIN_PORT: number;
  ADMIN_TOKEN?: string | undefined;
  HOST: string;
  DATABASE_URL: string;
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
  /** The runner's settings, made from the CONSUMER_*, DLQ_* and AUTH_EVENTS_* variables by the same parse. */
  consumer: ConsumerSettings;
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
  hooks?: ConsumerServiceHooks;
  /** Work of the service's own beside the consumer (notifications' mail sender); stopped after the consumer, before the database closes. */
  worker?: (resources: { db: PostgresJsDatabase<TSchema>; sql: Sql; registry: Registry; tracer: Tracer }) => { stop(): Promise<void> };
  /** Admin services of the service's own, served on the admin port beside the dead-letter and consumer-status ones. */
  adminRoutes?: (db: PostgresJsDatabase<TSchema>) => (router: ConnectRouter) => void;
}

/**
 * The shape shared by services that build their tables from auth's events
 * and answer queries about them (profile, billing, notifications):
 * migrations, database, the RPC server with token checks, and, as soon as
 * NATS answers (it may be down at start), the consumer. Each service brings
 * its own schema, routes and event handlers.
 */
export async function startConsumerService<TSchema extends Record<string, unknown>>(spec: ConsumerServiceSpec<TSchema>): Promise<RunningConsumerService> {
  const { name, config, logger } = spec;
  const base = await startFoundation({
    name,
    config,
    logger,
    migrationsFolder: spec.migrationsFolder,
    schema: spec.schema,
    nats: natsSettingsFrom(config, name, name),
  });
  const { database, metrics, telemetry } = base;
  const worker = spec.worker?.({ db: database.db, sql: database.sql, registry: metrics.registry, tracer: telemetry.tracer });
  let consumer: EventConsumer | undefined;
  base.nats.whenConnected("consuming events", (nc) => {
    consumer = startEventConsumer({
      nc,
      db: database.db,
      settings: config.consumer,
      routes: spec.eventRoutes as never,
      logger,
      registry: metrics.registry,
      tracer: telemetry.tracer,
      ...faultHooks(spec.hooks, config),
    });
  });
  const server = await startConsumerServer(spec, base, () => consumer);
  const pruning = pruneInboxHourly(database.sql, config, logger);

  let stopped: Promise<void> | undefined;
  return {
    port: server.port,
    adminPort: server.adminPort,
    consumer: () => consumer,
    stop() {
      stopped ??= (async () => {
        base.nats.markStopping();
        clearInterval(pruning);
        await server.shutdown();
        await consumer?.stop();
        await worker?.stop();
        await base.nats.drain();
        await database.close();
        await telemetry.shutdown();
        logger.info(`${name} stopped`);
      })();
      return stopped;
    },
  };
}

/** The test seams: the spec's hooks, else FAULT_* (tools/faults): kill -9 at the Nth batch; off by default. */
function faultHooks(hooks: ConsumerServiceHooks | undefined, config: ConsumerServiceConfig): ConsumerServiceHooks {
  const onCommitted = hooks?.onCommitted ?? killOnNthCall(config.FAULT_KILL_AFTER_COMMIT_AT);
  const beforeCommit = hooks?.beforeCommit ?? killOnNthCall(config.FAULT_KILL_BEFORE_COMMIT_AT);
  return { ...(onCommitted ? { onCommitted } : {}), ...(beforeCommit ? { beforeCommit } : {}) };
}

/** The RPC server (every call needs an access token from auth) and the admin port with the dead-letter and consumer-status services. */
function startConsumerServer<TSchema extends Record<string, unknown>>(
  spec: ConsumerServiceSpec<TSchema>,
  base: Foundation<TSchema>,
  consumer: () => EventConsumer | undefined,
): Promise<ServiceServer> {
  const { config, logger } = spec;
  const { database, telemetry } = base;
  const shared = consumerAdminRoutes({
    nats: () => base.nats.connection(),
    consumer,
    db: database.db,
    sql: database.sql,
    settings: config.consumer,
    routes: spec.eventRoutes as never,
    tracer: telemetry.tracer,
  });
  return startServiceServer({
    service: spec.name,
    rpcServiceNames: [spec.rpcService.typeName],
    routes: spec.routes(database.db),
    ...(spec.toConnectError ? { toConnectError: spec.toConnectError } : {}),
    interceptors: [
      requireAccessToken({
        keys: remoteKeySet(config.AUTH_JWKS_URL, telemetry.tracer),
        policy: {
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          maxAgeSeconds: config.ACCESS_TOKEN_MAX_AGE_SECONDS ?? DEFAULT_ACCESS_TOKEN_MAX_AGE_SECONDS,
        },
        services: [spec.rpcService],
      }),
    ],
    port: config.PORT,
    host: config.HOST,
    trustProxyHops: config.TRUST_PROXY_HOPS ?? 0,
    limits: serverLimits(config),
    metrics: base.metrics,
    logger,
    tracer: telemetry.tracer,
    admin: { port: config.ADMIN_PORT, token: config.ADMIN_TOKEN, routes: withOwnAdminRoutes(spec.adminRoutes?.(database.db), shared) },
    readiness: base.readiness,
  });
}

function pruneInboxHourly(sql: Sql, config: ConsumerServiceConfig, logger: Logger): NodeJS.Timeout {
  const retentionMs = (config.INBOX_RETENTION_DAYS ?? 30) * 86_400_000;
  const pruning = setInterval(() => {
    pruneInbox(sql, config.consumer.inboxTable, retentionMs).then(
      (deleted) => deleted > 0 && logger.info({ deleted }, "pruned applied event ids past the inbox retention"),
      (error: unknown) => logger.warn({ reason: (error as Error).message }, "inbox pruning failed; next try in an hour"),
    );
  }, 3_600_000);
  pruning.unref();
  return pruning;
}

function withOwnAdminRoutes(own: ((router: ConnectRouter) => void) | undefined, shared: (router: ConnectRouter) => void) {
  return (router: ConnectRouter) => {
    shared(router);
    own?.(router);
  };
}
