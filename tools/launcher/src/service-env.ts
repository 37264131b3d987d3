import { serviceDatabaseUrl, type Credentials } from "./credentials.js";
import type { LauncherSettings, ServiceSettings } from "./settings.js";

/**
 * libuv's thread pool for auth, as in deploy/base/auth/config.env: auth hashes
 * (argon2id, 19 MiB each) as many passwords at once as the pool has threads.
 * Two instead of libuv's four cut auth's peak under load by 36 MB (199 -> 163 MB)
 * and cost Register nothing on a quiet machine (P1 0.71 and 0.71 against 0.65 and 0.67
 * with four; docs/performance.md, "Memory (P8)").
 * UV_THREADPOOL_SIZE in the launcher's environment overrides it.
 */
export const AUTH_THREADPOOL_SIZE = "2";

/**
 * A service's environment: the variables its own config.ts reads (PORT,
 * DATABASE_URL, NATS_URL, NATS_USER, NATS_PASSWORD, AUTH_JWKS_URL, ...).
 * This is the launcher's whole contract with a service. Any OTEL_*
 * variable of the launcher's own environment is passed on (the standard
 * OpenTelemetry settings, docs/observability.md).
 */
export function serviceEnvironment(
  service: ServiceSettings,
  context: { settings: LauncherSettings; credentials: Credentials; natsUrl: string; authUrl: string; environment?: NodeJS.ProcessEnv; consoleUrl?: string },
): Record<string, string> {
  const { settings, credentials } = context;
  const own = credentials.services[service.name];
  const embeddedNats = !settings.natsUrl;
  const natsUser = embeddedNats ? service.name : service.natsUser;
  const natsPassword = embeddedNats ? own.nats : service.natsPassword;
  const env: Record<string, string> = {
    PORT: String(service.port),
    ADMIN_PORT: String(service.adminPort),
    ADMIN_TOKEN: credentials.adminToken,
    HOST: "127.0.0.1",
    DATABASE_URL: service.databaseUrl ?? serviceDatabaseUrl(service.name, own.database, settings.postgresPort),
    NATS_URL: context.natsUrl,
    LOG_LEVEL: settings.logLevel,
  };
  for (const [name, value] of Object.entries(context.environment ?? process.env)) if (name.startsWith("OTEL_") && value !== undefined) env[name] = value;
  if (natsUser) env.NATS_USER = natsUser;
  if (natsPassword) env.NATS_PASSWORD = natsPassword;
  if (context.consoleUrl) {
    // Spans go to the console's OTLP receiver unless the user named a collector; browsers may call from the console's page only.
    env.OTEL_EXPORTER_OTLP_ENDPOINT = settings.otlpEndpoint ?? context.consoleUrl;
    // A span shows in the console a second after it ends, not five (the SDK's default batch delay).
    env.OTEL_BSP_SCHEDULE_DELAY ??= "1000";
    env.CORS_ALLOWED_ORIGINS = `${context.consoleUrl},${context.consoleUrl.replace("127.0.0.1", "localhost")}`;
  }
  if (service.name === "auth") {
    env.AUTH_KEY_ENCRYPTION_KEY = credentials.authKeyEncryptionKey;
    env.UV_THREADPOOL_SIZE = (context.environment ?? process.env).UV_THREADPOOL_SIZE ?? AUTH_THREADPOOL_SIZE;
  }
  if (service.name !== "auth") env.AUTH_JWKS_URL = `${context.authUrl}/.well-known/jwks.json`;
  if (service.name === "notifications") env.SMTP_URL = "smtpUrl" in settings.mail ? settings.mail.smtpUrl : `smtp://127.0.0.1:${settings.mail.sinkPort}`;
  return env;
}
