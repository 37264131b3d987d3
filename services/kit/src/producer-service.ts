import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";
import { serverLimits, type ServerLimitsConfig } from "./env.js";
import { killOnNthCall } from "./fault-injection.js";
import type { Logger } from "./logging.js";
import { natsSettingsFrom, type NatsEnv } from "./nats.js";
import type { Tracer } from "./observability/spans.js";
import type { TelemetryEnv } from "./observability/telemetry-env.js";
import { startOutboxRelay, type OutboxRelay } from "./outbox/outbox-relay.js";
import type { DomainErrorMapping } from "./server/error-mapping.js";
import { startServiceServer, type HttpRoute, type ServiceServer } from "./server/service-server.js";
import { startFoundation, type Foundation } from "./service-foundation.js";

/** The settings every event-producing service parses from its environment. */
export interface ProducerServiceConfig extends TelemetryEnv, NatsEnv, Partial<ServerLimitsConfig> {
  PORT: number;
  /** Operations port: /readyz, /metrics and the admin RPCs. */
  ADMIN_PORT: number;
  ADMIN_TOKEN?: string | undefined;
  HOST: string;
  DATABASE_URL: string;
  TRUST_PROXY_HOPS: number;
  OUTBOX_BATCH_SIZE: number;
  OUTBOX_RETENTION_HOURS: number;
  /** TEST ONLY (tools/faults): kill -9 right after the Nth JetStream ack, before the rows are marked sent. */
  FAULT_KILL_AFTER_PUBLISHED_ACKS?: number | undefined;
}

/** What the service makes of its open database: its RPCs and, optionally, admin services, plain HTTP routes and a stop. */
export interface ProducerParts {
  routes: (router: ConnectRouter) => void;
  adminRoutes?: (router: ConnectRouter) => void;
  httpRoutes?: Record<string, HttpRoute>;
  /** Stops the service's own background work; runs first when the service stops. */
  stop?: () => void | Promise<void>;
}

export interface ProducerServiceSpec<TSchema extends Record<string, unknown>> {
  name: string;
  config: ProducerServiceConfig;
  logger: Logger;
  migrationsFolder: string;
  schema: TSchema;
  /** See openDatabase: false for a service that never passes arrays as parameters. */
  arrayParameters?: boolean;
  rpcService: DescService;
  /** The service's domain errors as Connect codes (kit's errorMapping applies it to every RPC). */
  toConnectError?: DomainErrorMapping;
  /** The stream the service publishes to; declared (and updated) once NATS answers, before the relay starts. */
  stream: { name: string; declare: (jsm: JetStreamManager) => Promise<void> };
  /** The service's own parts, made once its database is open; a throw stops the start. */
  parts: (resources: {
    db: PostgresJsDatabase<TSchema>;
    sql: Sql;
    registry: Registry;
    tracer: Tracer;
    instanceId: string;
  }) => ProducerParts | Promise<ProducerParts>;
}

export interface RunningProducerService {
  readonly port: number;
  readonly adminPort: number;
  /** service.instance.id of this process. */
  readonly instanceId: string;
  /** The relay of this instance, once NATS has been reached. */
  relay(): OutboxRelay | undefined;
  /** Graceful: stop taking RPCs, finish in-flight ones and the relay's batch, then close. */
  stop(): Promise<void>;
}

/**
 * The shape of a service that owns data and publishes events about it
 * through its outbox (auth): migrations, database, the RPC server, and, as
 * soon as NATS answers (it may be down at start), its stream and the outbox
 * relay. Writes succeed without NATS; their events wait in the outbox.
 */
export async function startProducerService<TSchema extends Record<string, unknown>>(spec: ProducerServiceSpec<TSchema>): Promise<RunningProducerService> {
  const { name, config, logger } = spec;
  const base = await startFoundation({
    name,
    config,
    logger,
    migrationsFolder: spec.migrationsFolder,
    schema: spec.schema,
    nats: natsSettingsFrom(config, name),
    ...(spec.arrayParameters === false ? { arrayParameters: false } : {}),
  });
  const { database, metrics, telemetry } = base;
  const parts = await spec.parts({
    db: database.db,
    sql: database.sql,
    registry: metrics.registry,
    tracer: telemetry.tracer,
    instanceId: telemetry.instanceId,
  });
  let relay: OutboxRelay | undefined;
  base.nats.whenConnected("publishing events", async (nc) => {
    await declareStreamUntilDone(nc, spec.stream, logger, () => base.nats.isStopping());
    if (!base.nats.isStopping()) relay = startRelay(nc, spec, base);
  });
  const server = await startProducerServer(spec, base, parts);
  return {
    port: server.port,
    adminPort: server.adminPort,
    instanceId: telemetry.instanceId,
    relay: () => relay,
    async stop() {
      base.nats.markStopping();
      await parts.stop?.();
      await server.shutdown();
      await relay?.stop();
      await base.nats.drain();
      await database.close();
      await telemetry.shutdown();
      logger.info(`${name} stopped`);
    },
  };
}

function startRelay<TSchema extends Record<string, unknown>>(nc: NatsConnection, spec: ProducerServiceSpec<TSchema>, base: Foundation<TSchema>): OutboxRelay {
  const { config } = spec;
  return startOutboxRelay({
    databaseUrl: config.DATABASE_URL,
    js: jetstream(nc),
    logger: spec.logger.child({ component: "outbox-relay" }),
    batchSize: config.OUTBOX_BATCH_SIZE,
    retentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
    registry: base.metrics.registry,
    tracer: base.telemetry.tracer,
    instanceId: base.telemetry.instanceId,
    // Off unless a test sets FAULT_KILL_AFTER_PUBLISHED_ACKS (tools/faults).
    onPublished: killOnNthCall(config.FAULT_KILL_AFTER_PUBLISHED_ACKS),
  });
}

function startProducerServer<TSchema extends Record<string, unknown>>(
  spec: ProducerServiceSpec<TSchema>,
  base: Foundation<TSchema>,
  parts: ProducerParts,
): Promise<ServiceServer> {
  const { config } = spec;
  return startServiceServer({
    service: spec.name,
    rpcServiceNames: [spec.rpcService.typeName],
    routes: parts.routes,
    ...(spec.toConnectError ? { toConnectError: spec.toConnectError } : {}),
    port: config.PORT,
    host: config.HOST,
    trustProxyHops: config.TRUST_PROXY_HOPS,
    limits: serverLimits(config),
    metrics: base.metrics,
    logger: spec.logger,
    tracer: base.telemetry.tracer,
    admin: { port: config.ADMIN_PORT, token: config.ADMIN_TOKEN, ...(parts.adminRoutes ? { routes: parts.adminRoutes } : {}) },
    readiness: base.readiness,
    ...(parts.httpRoutes ? { httpRoutes: parts.httpRoutes } : {}),
  });
}

/** Declares the stream, retrying with a growing pause while JetStream refuses (not ready, no permission yet). */
async function declareStreamUntilDone(
  nc: NatsConnection,
  stream: ProducerServiceSpec<Record<string, unknown>>["stream"],
  logger: Logger,
  stopping: () => boolean,
): Promise<void> {
  for (let attempt = 1; !stopping(); attempt++) {
    try {
      await stream.declare(await jetstreamManager(nc));
      logger.info({ stream: stream.name }, "event stream declared");
      return;
    } catch (error) {
      if (attempt === 1 || attempt % 10 === 0) logger.warn({ reason: (error as Error).message, attempt }, "could not declare the event stream yet; retrying");
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * attempt)));
    }
  }
}
