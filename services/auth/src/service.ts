import { fileURLToPath } from "node:url";
import { AuthService as AuthRpcService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { createLogger, type Logger } from "@acme/kit/logging";
import { startProducerService, type ProducerParts, type RunningProducerService } from "@acme/kit/service";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";
import type { Tracer } from "@acme/kit/observability";
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

export type AuthService = RunningProducerService;

export interface AuthServiceOverrides {
  /** Replaces argon2id; only the pipeline benchmark uses it (bench/pipeline.ts), to measure everything but the hash. */
  hasher?: PasswordHasher;
}

/**
 * Starts auth on kit's producer service (migrations, database, the RPC
 * server, and, as soon as NATS answers, the stream and the outbox relay);
 * what is auth's own is wired here: signing keys, the login throttle, the
 * password hasher and the use cases. Registrations succeed without NATS;
 * their events wait in the outbox.
 */
export function startAuthService(
  config: AuthConfig,
  logger: Logger = createLogger("auth", config.LOG_LEVEL),
  overrides: AuthServiceOverrides = {},
): Promise<AuthService> {
  return startProducerService({
    name: "auth",
    config,
    logger,
    migrationsFolder: MIGRATIONS_FOLDER,
    schema,
    arrayParameters: false,
    rpcService: AuthRpcService,
    toConnectError,
    stream: {
      name: config.AUTH_EVENTS_STREAM,
      declare: (jsm) =>
        declareAuthEventsStream(jsm, {
          name: config.AUTH_EVENTS_STREAM,
          subjectPrefix: config.AUTH_EVENTS_SUBJECT_PREFIX,
          replicas: config.AUTH_EVENTS_REPLICAS,
          duplicateWindowMs: config.AUTH_EVENTS_DUPLICATE_WINDOW_MS,
          maxMsgs: config.AUTH_EVENTS_MAX_MSGS,
          maxBytes: config.AUTH_EVENTS_MAX_BYTES,
        }),
    },
    parts: (resources) => authParts(config, logger, overrides, resources),
  });
}

async function authParts(
  config: AuthConfig,
  logger: Logger,
  overrides: AuthServiceOverrides,
  { db, sql, registry, tracer, instanceId }: { db: PostgresJsDatabase<typeof schema>; sql: Sql; registry: Registry; tracer: Tracer; instanceId: string },
): Promise<ProducerParts> {
  const tokens = await startTokenIssuer(config, db, logger);
  const throttle = new LoginThrottle(sql, {
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
    store: createCredentialRepository(db, tracer),
    hasher: countVerifications(tracedHasher(overrides.hasher ?? createArgon2Hasher(), tracer), registry),
    tokens,
    throttle,
    events: userEventBuilder(config.AUTH_EVENTS_SUBJECT_PREFIX),
  });
  return {
    routes: authRoutes(useCases),
    adminRoutes: authAdminRoutes(db, sql, instanceId),
    httpRoutes: {
      "/.well-known/jwks.json": async (_req, res) => {
        const body = JSON.stringify(await tokens.jwks());
        res.writeHead(200, { "content-type": "application/jwk-set+json", "cache-control": "public, max-age=60" });
        res.end(body);
      },
    },
    stop: () => clearInterval(pruning),
  };
}

async function startTokenIssuer(config: AuthConfig, db: PostgresJsDatabase<typeof schema>, logger: Logger): Promise<TokenIssuer> {
  const signingKeyStore = createSigningKeyRepository(db, new KeySealer(config.AUTH_KEY_ENCRYPTION_KEY));
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
  return tokens;
}
