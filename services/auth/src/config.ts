import { z } from "zod";
import { databaseTlsEnv, natsTlsEnv, parseEnv, portSchema, postgresUrlSchema, serverLimitsEnv, withDatabaseTls } from "@acme/kit/env";
import { trustProxyHopsSchema, adminEnv } from "@acme/kit/server";
import { faultCountSchema } from "@acme/kit/fault-injection";
import { telemetryEnv } from "@acme/kit/observability";
import { keyEncryptionKeySchema } from "./security/key-sealer.js";
import { DEFAULT_THROTTLE_LIMITS as LIMITS } from "./security/login-throttle.js";

const count = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);
const millis = (fallback: number) => z.coerce.number().int().min(100).max(86_400_000).default(fallback);

const schema = z.object({
  PORT: portSchema.default(8081),
  /** ADMIN_PORT (default 9081): /readyz, /metrics, AuthAdminService; ADMIN_TOKEN guards the RPCs. */
  ...adminEnv(9081),
  /** The standard OTEL_* variables (docs/observability.md). */
  ...telemetryEnv(),
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: postgresUrlSchema.default("postgres://auth:auth@127.0.0.1:5432/auth"),
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  ...natsTlsEnv,
  ...databaseTlsEnv,
  AUTH_EVENTS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default("AUTH_EVENTS"),
  AUTH_EVENTS_SUBJECT_PREFIX: z.string().default("auth.events"),
  /** Stream replicas: 1 on one server, 3 in a NATS cluster. */
  AUTH_EVENTS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** JetStream drops a republished event id inside this window (Nats-Msg-Id); later ones reach consumers' inboxes. */
  AUTH_EVENTS_DUPLICATE_WINDOW_MS: z.coerce.number().int().min(100).default(120_000),
  /** Stream limits; -1 = none. When reached, publishing is refused (discard new) and events wait in the outbox. */
  AUTH_EVENTS_MAX_MSGS: z.coerce.number().int().min(-1).default(-1),
  AUTH_EVENTS_MAX_BYTES: z.coerce.number().int().min(-1).default(-1),
  JWT_ISSUER: z.string().default("acme-auth"),
  JWT_AUDIENCE: z.string().default("acme"),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /** A new signing key is made when the newest is older than this. */
  SIGNING_KEY_ROTATE_AFTER_HOURS: z.coerce
    .number()
    .positive()
    .default(24 * 7),
  OUTBOX_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .default(24 * 7),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  /** Reverse proxies in front appending to X-Forwarded-For; the client is that many entries from the right. 0: the socket's peer. */
  TRUST_PROXY_HOPS: trustProxyHopsSchema,
  /** 32 bytes, base64: seals the signing keys' private halves in the database. Required. */
  AUTH_KEY_ENCRYPTION_KEY: keyEncryptionKeySchema,
  /** Login throttle (security/login-throttle.ts): per account, per client, and Register per client. */
  LOGIN_ACCOUNT_ATTEMPTS: count(LIMITS.accountAttempts),
  LOGIN_ACCOUNT_WINDOW_MS: millis(LIMITS.accountWindowMs),
  LOGIN_DELAY_BASE_MS: z.coerce.number().int().min(0).max(600_000).default(LIMITS.delayBaseMs),
  LOGIN_CLIENT_ATTEMPTS: count(LIMITS.clientAttempts),
  LOGIN_CLIENT_WINDOW_MS: millis(LIMITS.clientWindowMs),
  REGISTER_CLIENT_ATTEMPTS: count(LIMITS.registerAttempts),
  REGISTER_CLIENT_WINDOW_MS: millis(LIMITS.registerWindowMs),
  ...serverLimitsEnv,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** TEST ONLY (tools/faults): SIGKILL this process right after the Nth JetStream ack, before the rows are marked sent. */
  FAULT_KILL_AFTER_PUBLISHED_ACKS: faultCountSchema,
});

export type AuthConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  return withDatabaseTls(parseEnv(schema, env));
}
