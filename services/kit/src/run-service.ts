import { createLogger, type Logger } from "./logging.js";

export interface Stoppable {
  /** Graceful: stop taking work, finish what is in hand, close. */
  stop(): Promise<void>;
}

/**
 * A service's process: start it (a bad configuration or an unreachable
 * dependency ends the process with one clear log line), then stop it
 * gracefully on SIGINT or SIGTERM, forcing the exit after `graceMs`.
 */
export async function runService(name: string, start: (logger: Logger) => Promise<Stoppable>, graceMs = 20_000): Promise<void> {
  const logger = createLogger(name);
  let service: Stoppable;
  try {
    service = await start(logger);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, `${name} could not start`);
    process.exit(1);
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "shutting down");
      setTimeout(() => process.exit(1), graceMs).unref();
      service.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}
