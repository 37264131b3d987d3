import { releaseMemoryWhenIdle } from "./idle-memory.js";
import { createLogger, type Logger } from "./logging.js";

export interface Stoppable {
  /** Graceful: stop taking work, finish what is in hand, close. */
  stop(): Promise<void>;
}

/**
 * A service's process: start it (a bad configuration or an unreachable
 * dependency ends the process with one clear log line), give its spare heap
 * back whenever it goes quiet (idle-memory.ts), then stop it gracefully on
 * SIGINT or SIGTERM, forcing the exit after `graceMs`.
 */
export async function runService(name: string, start: (logger: Logger) => Promise<Stoppable>, graceMs = 20_000): Promise<void> {
  const logger = createLogger(name);
  survivePostgresTypeFetchFailures(logger);
  let service: Stoppable;
  try {
    service = await start(logger);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, `${name} could not start`);
    process.exit(1);
  }
  releaseMemoryWhenIdle(logger);
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

/**
 * postgres.js 3.4.9 fetches array types on each new connection and drops
 * that query's promise, so when the database goes away at that moment the
 * failure is an unhandled rejection, which ends a Node process
 * (porsager/postgres#1192). Nothing is lost by surviving exactly that one:
 * the connection is retried like any other. Every other unhandled rejection
 * is rethrown and still ends the process, as Node would.
 */
function survivePostgresTypeFetchFailures(logger: Logger): void {
  process.on("unhandledRejection", (reason) => {
    const query = (reason as { query?: unknown } | null)?.query;
    if (typeof query === "string" && query.includes("pg_catalog.pg_type") && query.includes("typcategory = 'A'")) {
      logger.warn({ reason: (reason as Error).message }, "postgres.js could not fetch array types on a new connection (database unavailable); it reconnects");
      return;
    }
    throw reason;
  });
}
