import type { z } from "zod";
import { consumerServiceConfig } from "@acme/kit/service";
import { parseEnv, withDatabaseTls } from "@acme/kit/env";

// The variables every event-consuming service reads (kit), with billing's defaults; `consumer` is the runner's settings.
const schema = consumerServiceConfig("billing", 8083);

export type BillingConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BillingConfig {
  return withDatabaseTls(parseEnv(schema, env));
}
