import { runService } from "@acme/kit/run-service";
import { loadConfig } from "./config.js";
import { startBillingService } from "./service.js";

await runService("billing", (logger) => {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  return startBillingService(config, logger);
});
