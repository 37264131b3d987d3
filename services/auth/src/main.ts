import { runService } from "@acme/kit/service";
import { loadConfig } from "./config.js";
import { startAuthService } from "./service.js";

await runService("auth", (logger) => {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  return startAuthService(config, logger);
});
