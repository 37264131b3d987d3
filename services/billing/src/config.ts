import { z } from "zod";
import { consumerEnv, consumerSettings, streamNameSchema, subjectPrefixSchema } from "@acme/kit/consumer/consumer-settings";
import { parseEnv, portSchema, postgresUrlSchema } from "@acme/kit/env";
import { faultCountSchema } from "@acme/kit/fault-injection";

const schema = z.object({
  PORT: portSchema.default(8083),
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: postgresUrlSchema.default("postgres://billing:billing@127.0.0.1:5432/billing"),
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  AUTH_EVENTS_STREAM: streamNameSchema.default("AUTH_EVENTS"),
  AUTH_EVENTS_SUBJECT_PREFIX: subjectPrefixSchema.default("auth.events"),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8081/.well-known/jwks.json"),
  JWT_ISSUER: z.string().min(1).default("acme-auth"),
  JWT_AUDIENCE: z.string().min(1).default("acme"),
  ...consumerEnv({ durable: "billing", deadLetterStream: "DLQ_BILLING", deadLetterSubjectPrefix: "dlq.billing" }),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** TEST ONLY (tools/faults): SIGKILL this process inside its Nth batch transaction, before COMMIT. */
  FAULT_KILL_BEFORE_COMMIT_AT: faultCountSchema,
  /** TEST ONLY (tools/faults): SIGKILL this process after its Nth batch COMMIT, before the ack. */
  FAULT_KILL_AFTER_COMMIT_AT: faultCountSchema,
});

export type BillingConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BillingConfig {
  return parseEnv(schema, env);
}

export function billingConsumerSettings(config: BillingConfig) {
  return consumerSettings(config, { stream: config.AUTH_EVENTS_STREAM, subjectPrefix: config.AUTH_EVENTS_SUBJECT_PREFIX });
}
