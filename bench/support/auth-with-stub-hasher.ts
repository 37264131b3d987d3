/**
 * auth as its own process, exactly as src/main.ts starts it but with a
 * constant-cost password "hash" (SHA-256) in place of argon2id: the P4
 * pipeline benchmark measures everything a registration does except the
 * hash. Never used outside bench/.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { runService } from "@acme/kit/service";
import { loadConfig } from "../../services/auth/src/config.js";
import { startAuthService } from "../../services/auth/src/service.js";

const digest = (password: string) => `stub$${createHash("sha256").update(password).digest("hex")}`;

await runService("auth", (logger) => {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  return startAuthService(config, logger, {
    hasher: {
      hash: async (password) => digest(password),
      verify: async (stored, password) => stored.length === digest(password).length && timingSafeEqual(Buffer.from(stored), Buffer.from(digest(password))),
      verifyNothing: async () => {},
    },
  });
});
