import { runService } from "@acme/kit/service";
import { loadConfig } from "./config.js";
import { startBillingService } from "./service.js";

await runService("billing", (logger) => {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  return startBillingService(config, logger);
});
