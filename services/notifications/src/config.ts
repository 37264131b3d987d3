import { z } from "zod";
import { consumerServiceConfig } from "@acme/kit/service";
import { parseEnv, withDatabaseTls } from "@acme/kit/env";
import { faultCountSchema } from "@acme/kit/fault-injection";
import type { MailSenderSettings } from "./mail/mail-sender.js";

const millis = (fallback: number) => z.coerce.number().int().positive().default(fallback);

// The variables every event-consuming service reads (kit), with notifications' defaults, and its mail settings; `consumer` is the runner's settings.
const schema = consumerServiceConfig("notifications", 8084, {
  /** The mail server; the development sink (`npm start`) by default. smtps:// and user:password@ work too. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).default("smtp://127.0.0.1:2525"),
  MAIL_FROM: z.string().min(3).default("Acme <no-reply@acme.example>"),
  /** The right-hand side of every Message-ID (<event-id.template@this>). */
  MAIL_MESSAGE_ID_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/)
    .default("notifications.acme.example"),
  MAIL_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(50),
  MAIL_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(4),
  MAIL_LEASE_MS: millis(60_000),
  MAIL_POLL_MS: millis(1_000),
  MAIL_RETRY_BASE_MS: millis(1_000),
  MAIL_RETRY_MAX_MS: millis(300_000),
  /** TEST ONLY (tools/faults): SIGKILL this process after the mail server accepted its Nth mail, before it is marked sent. */
  FAULT_KILL_AFTER_MAIL_ACCEPTED_AT: faultCountSchema,
});

export type NotificationsConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): NotificationsConfig {
  return withDatabaseTls(parseEnv(schema, env));
}

export function mailSenderSettings(config: NotificationsConfig): MailSenderSettings {
  return {
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    batchSize: config.MAIL_BATCH_SIZE,
    connections: config.MAIL_CONNECTIONS,
    leaseMs: config.MAIL_LEASE_MS,
    pollMs: config.MAIL_POLL_MS,
    retryBaseMs: config.MAIL_RETRY_BASE_MS,
    retryMaxMs: config.MAIL_RETRY_MAX_MS,
  };
}
