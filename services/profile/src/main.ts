import { runService } from "@acme/kit/service";
import { loadConfig } from "./config.js";
import { startProfileService } from "./service.js";

await runService("profile", (logger) => {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  return startProfileService(config, logger);
});
