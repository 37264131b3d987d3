import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs, one object a line, with the service name on every
 * line. Secrets never reach a log: the paths below are redacted wherever a
 * caller passes them by mistake.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: {
      paths: ["password", "*.password", "currentPassword", "*.currentPassword", "passwordHash", "*.passwordHash", "authorization", "*.authorization"],
      censor: "[redacted]",
    },
  });
}
