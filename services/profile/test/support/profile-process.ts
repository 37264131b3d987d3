import { createLogger } from "@acme/kit/logging";
import { loadConfig } from "../../src/config.js";
import { startProfileService } from "../../src/service.js";

/**
 * A profile process for fault tests. With PROFILE_TEST_CRASH_AFTER_COMMIT=1
 * it kills itself (SIGKILL: nothing is flushed) right after its first batch
 * commits and before that batch is acked.
 */
const config = loadConfig();
const crash = process.env.PROFILE_TEST_CRASH_AFTER_COMMIT === "1";
const service = await startProfileService(config, createLogger("profile", config.LOG_LEVEL), {
  ...(crash ? { onCommitted: () => void process.kill(process.pid, "SIGKILL") } : {}),
});
process.once("SIGTERM", () => void service.stop().then(() => process.exit(0)));
