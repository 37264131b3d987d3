import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { ServiceName } from "@acme/devstack";

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** The services' Node flags unless SERVICE_NODE_FLAGS says otherwise (why: the schema's comment below); the fault suite runs them too. */
export const DEFAULT_SERVICE_NODE_FLAGS = ["--max-semi-space-size=8", "--max-old-space-size=160"];

const port = z.coerce.number().int().min(1).max(65_535);
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
  .optional();
const optional = z.string().min(1).optional();

const schema = z.object({
  DEVSTACK_DIR: z.string().min(1).default(join(REPO_ROOT, ".devstack")),
  POSTGRES_PORT: port.default(5433),
  NATS_PORT: port.default(4222),
  NATS_MONITOR_PORT: port.default(8222),
  AUTH_PORT: port.default(8081),
  PROFILE_PORT: port.default(8082),
  BILLING_PORT: port.default(8083),
  NOTIFICATIONS_PORT: port.default(8084),
  /** The development mail sink (SMTP, .eml files in DEVSTACK_DIR/mail); not started when SMTP_URL is set. */
  SMTP_SINK_PORT: port.default(2525),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL")
    .optional(),
  /** Each service's admin port: /readyz, /metrics and the admin RPCs (behind the generated admin token). */
  AUTH_ADMIN_PORT: port.default(9081),
  PROFILE_ADMIN_PORT: port.default(9082),
  BILLING_ADMIN_PORT: port.default(9083),
  NOTIFICATIONS_ADMIN_PORT: port.default(9084),
  CONSOLE_PORT: port.default(8080),
  /** Set by the user: the services export there instead of to the console. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional,
  AUTH_DATABASE_URL: postgresUrl,
  PROFILE_DATABASE_URL: postgresUrl,
  BILLING_DATABASE_URL: postgresUrl,
  NOTIFICATIONS_DATABASE_URL: postgresUrl,
  NATS_URL: optional,
  AUTH_NATS_USER: optional,
  AUTH_NATS_PASSWORD: optional,
  PROFILE_NATS_USER: optional,
  PROFILE_NATS_PASSWORD: optional,
  BILLING_NATS_USER: optional,
  BILLING_NATS_PASSWORD: optional,
  NOTIFICATIONS_NATS_USER: optional,
  NOTIFICATIONS_NATS_PASSWORD: optional,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** pretty: `[auth] 12:00:01 INFO ...`; json: the services' pino lines unchanged. */
  LOG_FORMAT: z.enum(["pretty", "json"]).default("pretty"),
  READY_TIMEOUT_MS: z.coerce.number().int().positive().default(90_000),
  /**
   * Node flags for each service process, the same as deploy/base/<service>/config.env
   * (docs/performance.md, "Memory (P8)"). --max-old-space-size=160: with a small old
   * space V8 grows the old generation by about 1.3x its live size between full
   * collections instead of up to 4x, so garbage from a burst of reads is collected at about 50 MB
   * of heap, not 100 (measured in the same minutes: profile's and billing's peaks
   * 133-173 -> 123 MB, auth's 218 -> 201, every service 16-27 MB less at idle, reads/s
   * not lower). --max-semi-space-size=8: a bounded young generation; without it Node 24
   * grows it to 64 MB semi-spaces (idle 270 MB with --max-old-space-size=160 alone); 2 MB
   * saved 12 MB at idle but cost GetProfile about a third of its reads per second.
   */
  SERVICE_NODE_FLAGS: z.string().default(DEFAULT_SERVICE_NODE_FLAGS.join(" ")),
});

export interface ServiceSettings {
  name: ServiceName;
  port: number;
  adminPort: number;
  /** Set: use this database as is. Unset: a database and role on the embedded PostgreSQL. */
  databaseUrl?: string;
  natsUser?: string;
  natsPassword?: string;
}

export interface LauncherSettings {
  dir: string;
  postgresPort: number;
  natsPort: number;
  natsMonitorPort: number;
  /** Set: use that NATS server; unset: start nats-server. */
  natsUrl?: string;
  services: ServiceSettings[];
  /** The console (tools/console): its port, and where the services send their spans. */
  consolePort: number;
  otlpEndpoint?: string;
  logLevel: string;
  logFormat: "pretty" | "json";
  readyTimeoutMs: number;
  serviceNodeFlags: string[];
  /** Where notifications sends mail: a server of the user's, or the sink the launcher starts. */
  mail: { smtpUrl: string } | { sinkPort: number };
}

/** The environment, parsed once; a bad variable stops the launcher with its name. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): LauncherSettings {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid configuration:\n${problems.join("\n")}`);
  }
  const e = result.data;
  const service = (name: ServiceName, port: number, adminPort: number, databaseUrl?: string, natsUser?: string, natsPassword?: string): ServiceSettings => ({
    name,
    port,
    adminPort,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(natsUser ? { natsUser } : {}),
    ...(natsPassword ? { natsPassword } : {}),
  });
  return {
    dir: resolve(e.DEVSTACK_DIR),
    postgresPort: e.POSTGRES_PORT,
    natsPort: e.NATS_PORT,
    natsMonitorPort: e.NATS_MONITOR_PORT,
    ...(e.NATS_URL ? { natsUrl: e.NATS_URL } : {}),
    services: [
      service("auth", e.AUTH_PORT, e.AUTH_ADMIN_PORT, e.AUTH_DATABASE_URL, e.AUTH_NATS_USER, e.AUTH_NATS_PASSWORD),
      service("profile", e.PROFILE_PORT, e.PROFILE_ADMIN_PORT, e.PROFILE_DATABASE_URL, e.PROFILE_NATS_USER, e.PROFILE_NATS_PASSWORD),
      service("billing", e.BILLING_PORT, e.BILLING_ADMIN_PORT, e.BILLING_DATABASE_URL, e.BILLING_NATS_USER, e.BILLING_NATS_PASSWORD),
      service(
        "notifications",
        e.NOTIFICATIONS_PORT,
        e.NOTIFICATIONS_ADMIN_PORT,
        e.NOTIFICATIONS_DATABASE_URL,
        e.NOTIFICATIONS_NATS_USER,
        e.NOTIFICATIONS_NATS_PASSWORD,
      ),
    ],
    consolePort: e.CONSOLE_PORT,
    ...(e.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    readyTimeoutMs: e.READY_TIMEOUT_MS,
    serviceNodeFlags: e.SERVICE_NODE_FLAGS.split(/\s+/).filter(Boolean),
    mail: e.SMTP_URL ? { smtpUrl: e.SMTP_URL } : { sinkPort: e.SMTP_SINK_PORT },
  };
}

/** The variable that sets each port the launcher opens. */
const PORT_VARIABLES = {
  console: "CONSOLE_PORT",
  auth: "AUTH_PORT",
  profile: "PROFILE_PORT",
  billing: "BILLING_PORT",
  notifications: "NOTIFICATIONS_PORT",
  "auth-admin": "AUTH_ADMIN_PORT",
  "profile-admin": "PROFILE_ADMIN_PORT",
  "billing-admin": "BILLING_ADMIN_PORT",
  "notifications-admin": "NOTIFICATIONS_ADMIN_PORT",
  "mail-sink": "SMTP_SINK_PORT",
  postgres: "POSTGRES_PORT",
  nats: "NATS_PORT",
  "nats-monitor": "NATS_MONITOR_PORT",
} as const satisfies Record<ServiceName | `${ServiceName}-admin` | "postgres" | "nats" | "nats-monitor" | "mail-sink" | "console", string>;

/** Every variable that sets a port the launcher opens (e.g. to move them all to free ports). */
export const LAUNCHER_PORT_VARIABLES: readonly string[] = Object.values(PORT_VARIABLES);

/** The variable that sets a port, for "port taken" messages. */
export function portVariable(what: keyof typeof PORT_VARIABLES): string {
  return PORT_VARIABLES[what];
}
