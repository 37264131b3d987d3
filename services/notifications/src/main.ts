import { runService } from "@acme/kit/service";
import { loadConfig } from "./config.js";
import { startNotificationsService } from "./service.js";

await runService("notifications", (logger) => {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  return startNotificationsService(config, logger);
});
