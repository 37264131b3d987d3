import { createLogger } from "@acme/kit/logging";
import { loadConfig } from "./config.js";
import { startBillingService } from "./service.js";

const logger = createLogger("billing");
const service = await (async () => {
  try {
    const config = loadConfig();
    logger.level = config.LOG_LEVEL;
    return await startBillingService(config, logger);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, "billing could not start");
    process.exit(1);
  }
})();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 20_000).unref();
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        clearTimeout(force);
        process.exit(1);
      },
    );
  });
}
