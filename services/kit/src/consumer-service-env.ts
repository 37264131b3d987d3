import { z } from "zod";
import { consumerEnv, consumerSettings, streamNameSchema, subjectPrefixSchema, type ConsumerSettings } from "./consumer/consumer-settings.js";
import { DEFAULT_ACCESS_TOKEN_MAX_AGE_SECONDS } from "./auth/access-token.js";
import { databaseTlsEnv, natsTlsEnv, portSchema, postgresUrlSchema, serverLimitsEnv } from "./env.js";
import { trustProxyHopsSchema } from "./server/client-address.js";
import { faultCountSchema } from "./fault-injection.js";
import { telemetryEnv } from "./observability/telemetry-env.js";
import { adminEnv } from "./server/admin-token.js";

/**
 * The environment of a service built by startConsumerService (profile,
 * billing), with that service's defaults: its port, its database, its
 * durable consumer and dead-letter stream. A service spreads it into its
 * own zod object, so one parse names every bad variable. The admin port
 * defaults to the public one + 1000 (profile 8082 -> 9082).
 */
export function consumerServiceEnv(service: string, defaultPort: number) {
  return {
    PORT: portSchema.default(defaultPort),
    ...adminEnv(defaultPort + 1000),
    ...telemetryEnv(),
    HOST: z.string().default("127.0.0.1"),
    DATABASE_URL: postgresUrlSchema.default(`postgres://${service}:${service}@127.0.0.1:5432/${service}`),
    NATS_URL: z.string().default("nats://127.0.0.1:4222"),
    NATS_USER: z.string().optional(),
    NATS_PASSWORD: z.string().optional(),
    ...natsTlsEnv,
    ...databaseTlsEnv,
    AUTH_EVENTS_STREAM: streamNameSchema.default("AUTH_EVENTS"),
    AUTH_EVENTS_SUBJECT_PREFIX: subjectPrefixSchema.default("auth.events"),
    AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8081/.well-known/jwks.json"),
    JWT_ISSUER: z.string().min(1).default("acme-auth"),
    JWT_AUDIENCE: z.string().min(1).default("acme"),
    /** Tokens issued longer ago than this are refused even if their exp is later. */
    ACCESS_TOKEN_MAX_AGE_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(DEFAULT_ACCESS_TOKEN_MAX_AGE_SECONDS),
    TRUST_PROXY_HOPS: trustProxyHopsSchema,
    ...serverLimitsEnv,
    ...consumerEnv({ durable: service, deadLetterStream: `DLQ_${service.toUpperCase()}`, deadLetterSubjectPrefix: `dlq.${service}` }),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** TEST ONLY (tools/faults): SIGKILL this process inside its Nth batch transaction, before COMMIT. */
    FAULT_KILL_BEFORE_COMMIT_AT: faultCountSchema,
    /** TEST ONLY (tools/faults): SIGKILL this process after its Nth batch COMMIT, before the ack. */
    FAULT_KILL_AFTER_COMMIT_AT: faultCountSchema,
  };
}

/**
 * The whole environment of such a service in one zod schema: its parse
 * yields the variables and, made from them in the same step, `consumer`,
 * the runner's settings (auth's stream and subjects, the service's durable
 * consumer, dead-letter stream and inbox), which startConsumerService passes
 * to the runner as they are. `own` adds the service's own variables.
 */
export function consumerServiceConfig<Own extends z.ZodRawShape = Record<never, never>>(service: string, defaultPort: number, own?: Own) {
  const shape = { ...consumerServiceEnv(service, defaultPort), ...own } as ReturnType<typeof consumerServiceEnv> & Own;
  return z.object(shape).transform((env) => ({ ...env, consumer: consumerSettingsOf(env as ConsumerServiceEnv) }));
}

type ConsumerServiceEnv = z.infer<z.ZodObject<ReturnType<typeof consumerServiceEnv>>>;

function consumerSettingsOf(env: ConsumerServiceEnv): ConsumerSettings {
  return consumerSettings(env, { stream: env.AUTH_EVENTS_STREAM, subjectPrefix: env.AUTH_EVENTS_SUBJECT_PREFIX });
}
