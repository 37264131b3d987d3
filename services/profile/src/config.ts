import { z } from "zod";
import type { ConsumerSettings } from "@acme/kit/consumer/consumer-settings";
import { consumerServiceEnv, consumerServiceSettings } from "@acme/kit/consumer-service-env";
import { parseEnv, withDatabaseTls } from "@acme/kit/env";

// The variables every event-consuming service reads (kit), with profile's defaults.
const schema = z.object(consumerServiceEnv("profile", 8082));

export type ProfileConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProfileConfig {
  return withDatabaseTls(parseEnv(schema, env));
}

/** The consumer runner's settings: auth's stream, profile's durable consumer and dead-letter stream. */
export const profileConsumerSettings: (config: ProfileConfig) => ConsumerSettings = consumerServiceSettings;
