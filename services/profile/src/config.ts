import { z } from "zod";
import { consumerServiceEnv, consumerServiceSettings } from "@acme/kit/consumer-service-env";
import { parseEnv, withDatabaseTls } from "@acme/kit/env";

// The variables every event-consuming service reads (kit), with profile's defaults.
const schema = z.object(consumerServiceEnv("profile", 8082));

export type ProfileConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProfileConfig {
  return withDatabaseTls(parseEnv(schema, env));
}

export function profileConsumerSettings(config: ProfileConfig) {
  return consumerServiceSettings(config);
}
