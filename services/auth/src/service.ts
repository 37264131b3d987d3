import { fileURLToPath } from "node:url";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { databaseReadiness, openDatabase, waitForDatabase } from "@acme/kit/db/database";
import { runMigrations } from "@acme/kit/db/migrate";
import { killOnNthCall } from "@acme/kit/fault-injection";
import { createLogger, type Logger } from "@acme/kit/logging";
import { checkNatsTls, connectNats, natsReadiness, natsTlsFromEnv } from "@acme/kit/nats";
import { startTelemetry } from "@acme/kit/observability/telemetry";
import { startOutboxRelay, type OutboxRelay } from "@acme/kit/outbox/outbox-relay";
import { serverLimits } from "@acme/kit/env";
import { createMetrics } from "@acme/kit/server/metrics";
import { startServiceServer } from "@acme/kit/server/service-server";
import { createUseCases } from "./app/use-cases.js";
import type { AuthConfig } from "./config.js";
import { authAdminRoutes } from "./admin-connect.js";
import { authRoutes } from "./connect.js";
import { createCredentialRepository } from "./db/credentials-repository.js";
import { schema } from "./db/schema.js";
import { createSigningKeyRepository } from "./db/signing-keys-repository.js";
import { declareAuthEventsStream } from "./events/auth-events-stream.js";
import { toConnectError } from "./rpc/errors.js";
import { userEventBuilder } from "./events/user-events.js";
import { KeySealer } from "./security/key-sealer.js";
import { LoginThrottle } from "./security/login-throttle.js";
import { countVerifications, createArgon2Hasher, type PasswordHasher } from "./security/password-hasher.js";
import { tracedHasher } from "./security/traced-hasher.js";
import { TokenIssuer } from "./security/token-issuer.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface AuthService {
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
 * Starts auth: migrations, database, signing keys, the RPC server, and, as
 * soon as NATS answers (it may be down at start), the stream and the relay.
 * Registrations succeed without NATS; their events wait in the outbox.
 */
export interface AuthServiceOverrides {
  /** Replaces argon2id; only the pipeline benchmark uses it (bench/pipeline.ts), to measure everything but the hash. */
  hasher?: PasswordHasher;
}

export async function startAuthService(config: AuthConfig, logger: Logger = createLogger("auth", config.LOG_LEVEL), overrides: AuthServiceOverrides = {}): Promise<AuthService> {
  const telemetry = startTelemetry({ service: "auth", env: config, logger });
  const { tracer } = telemetry;
  const natsSettings = { url: config.NATS_URL, user: config.NATS_USER, password: config.NATS_PASSWORD, name: "auth", tls: natsTlsFromEnv(config) };
  // TLS settings that cannot work stop the start here, named; a NATS that is down does not.
  await checkNatsTls(natsSettings);
  await waitForDatabase(config.DATABASE_URL, (message) => logger.warn(message));
  await runMigrations(config.DATABASE_URL, MIGRATIONS_FOLDER, "auth");
  const database = openDatabase(config.DATABASE_URL, schema, { applicationName: "auth", arrayParameters: false });
  const metrics = createMetrics("auth");
  telemetry.registerMetrics(metrics.registry);
  const signingKeyStore = createSigningKeyRepository(database.db, new KeySealer(config.AUTH_KEY_ENCRYPTION_KEY));
  const sealed = await signingKeyStore.sealPlaintextKeys();
  if (sealed > 0) logger.info({ sealed }, "sealed signing keys stored in plain text by an older auth");
  const tokens = new TokenIssuer({
    store: signingKeyStore,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    rotateAfterMs: config.SIGNING_KEY_ROTATE_AFTER_HOURS * 3_600_000,
  });
  await tokens.refresh(); // unseals every key: a wrong AUTH_KEY_ENCRYPTION_KEY stops the start here, saying so
  const throttle = new LoginThrottle(database.sql, {
    accountAttempts: config.LOGIN_ACCOUNT_ATTEMPTS,
    accountWindowMs: config.LOGIN_ACCOUNT_WINDOW_MS,
    delayBaseMs: config.LOGIN_DELAY_BASE_MS,
    clientAttempts: config.LOGIN_CLIENT_ATTEMPTS,
    clientWindowMs: config.LOGIN_CLIENT_WINDOW_MS,
    registerAttempts: config.REGISTER_CLIENT_ATTEMPTS,
    registerWindowMs: config.REGISTER_CLIENT_WINDOW_MS,
    leaseMs: 30_000,
  });
  const pruning = setInterval(() => {
    throttle.prune().catch((error: unknown) => logger.warn({ reason: (error as Error).message }, "could not prune login attempts; next try in a minute"));
  }, 60_000);
  pruning.unref();
  const useCases = createUseCases({
    store: createCredentialRepository(database.db, tracer),
    hasher: countVerifications(tracedHasher(overrides.hasher ?? createArgon2Hasher(), tracer), metrics.registry),
    tokens,
    throttle,
    events: userEventBuilder(config.AUTH_EVENTS_SUBJECT_PREFIX),
  });

  let stopping = false;
  let nats: NatsConnection | undefined;
  let relay: OutboxRelay | undefined;
  void (async () => {
    const nc = await connectNats(natsSettings);
    nats = nc;
    if (stopping) return;
    await declareStreamUntilDone(nc, config, logger, () => stopping);
    if (stopping) return;
    relay = startOutboxRelay({
      databaseUrl: config.DATABASE_URL,
      js: jetstream(nc),
      logger: logger.child({ component: "outbox-relay" }),
      batchSize: config.OUTBOX_BATCH_SIZE,
      retentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
      registry: metrics.registry,
      tracer,
      instanceId: telemetry.instanceId,
      // Off unless a test sets FAULT_KILL_AFTER_PUBLISHED_ACKS (tools/faults).
      onPublished: killOnNthCall(config.FAULT_KILL_AFTER_PUBLISHED_ACKS),
    });
  })().catch((error: unknown) => logger.error({ err: error }, "could not start publishing events"));

  const server = await startServiceServer({
    service: "auth",
    rpcServiceNames: [AuthService.typeName],
    routes: authRoutes(useCases),
    toConnectError,
    port: config.PORT,
    host: config.HOST,
    trustProxyHops: config.TRUST_PROXY_HOPS,
    limits: serverLimits(config),
    metrics,
    logger,
    tracer,
    admin: { port: config.ADMIN_PORT, token: config.ADMIN_TOKEN, routes: authAdminRoutes(database.db, database.sql, telemetry.instanceId) },
    readiness: {
      database: databaseReadiness(database.sql),
      nats: natsReadiness(() => nats),
    },
    httpRoutes: {
      "/.well-known/jwks.json": async (_req, res) => {
        const body = JSON.stringify(await tokens.jwks());
        res.writeHead(200, { "content-type": "application/jwk-set+json", "cache-control": "public, max-age=60" });
        res.end(body);
      },
    },
  });

  return {
    port: server.port,
    adminPort: server.adminPort,
    instanceId: telemetry.instanceId,
    relay: () => relay,
    async stop() {
      stopping = true;
      clearInterval(pruning);
      await server.shutdown();
      await relay?.stop();
      // Still connecting (NATS down)? Then there is nothing to drain; the attempt stops with the process.
      if (nats) await nats.drain().catch(() => nats?.close());
      await database.close();
      await telemetry.shutdown();
      logger.info("auth stopped");
    },
  };
}

async function declareStreamUntilDone(nc: NatsConnection, config: AuthConfig, logger: Logger, stopping: () => boolean): Promise<void> {
  for (let attempt = 1; !stopping(); attempt++) {
    try {
      await declareAuthEventsStream(await jetstreamManager(nc), {
        name: config.AUTH_EVENTS_STREAM,
        subjectPrefix: config.AUTH_EVENTS_SUBJECT_PREFIX,
        replicas: config.AUTH_EVENTS_REPLICAS,
        duplicateWindowMs: config.AUTH_EVENTS_DUPLICATE_WINDOW_MS,
        maxMsgs: config.AUTH_EVENTS_MAX_MSGS,
        maxBytes: config.AUTH_EVENTS_MAX_BYTES,
      });
      logger.info({ stream: config.AUTH_EVENTS_STREAM }, "event stream declared");
      return;
    } catch (error) {
      if (attempt === 1 || attempt % 10 === 0) logger.warn({ reason: (error as Error).message, attempt }, "could not declare the event stream yet; retrying");
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * attempt)));
    }
  }
}
