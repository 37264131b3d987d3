import { z } from "zod";
import { consumerServiceEnv, consumerServiceSettings } from "@acme/kit/consumer-service-env";
import { parseEnv, withDatabaseTls } from "@acme/kit/env";

// The variables every event-consuming service reads (kit), with billing's defaults.
const schema = z.object(consumerServiceEnv("billing", 8083));

export type BillingConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BillingConfig {
  return withDatabaseTls(parseEnv(schema, env));
}

/** The consumer runner's settings from billing's environment. */
export const billingConsumerSettings = (config: BillingConfig) => consumerServiceSettings(config);
