import { z } from "zod";
import { consumerEnv, consumerSettings, streamNameSchema, subjectPrefixSchema } from "@acme/kit/consumer/consumer-settings";
import { parseEnv, portSchema, postgresUrlSchema } from "@acme/kit/env";
import { faultCountSchema } from "@acme/kit/fault-injection";

const schema = z.object({
  PORT: portSchema.default(8082),
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: postgresUrlSchema.default("postgres://profile:profile@127.0.0.1:5432/profile"),
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  AUTH_EVENTS_STREAM: streamNameSchema.default("AUTH_EVENTS"),
  AUTH_EVENTS_SUBJECT_PREFIX: subjectPrefixSchema.default("auth.events"),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8081/.well-known/jwks.json"),
  JWT_ISSUER: z.string().min(1).default("acme-auth"),
  JWT_AUDIENCE: z.string().min(1).default("acme"),
  ...consumerEnv({ durable: "profile", deadLetterStream: "DLQ_PROFILE", deadLetterSubjectPrefix: "dlq.profile" }),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** TEST ONLY (tools/faults): SIGKILL this process inside its Nth batch transaction, before COMMIT. */
  FAULT_KILL_BEFORE_COMMIT_AT: faultCountSchema,
  /** TEST ONLY (tools/faults): SIGKILL this process after its Nth batch COMMIT, before the ack. */
  FAULT_KILL_AFTER_COMMIT_AT: faultCountSchema,
});

export type ProfileConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProfileConfig {
  return parseEnv(schema, env);
}

export function profileConsumerSettings(config: ProfileConfig) {
  return consumerSettings(config, { stream: config.AUTH_EVENTS_STREAM, subjectPrefix: config.AUTH_EVENTS_SUBJECT_PREFIX });
}
