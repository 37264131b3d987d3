import type { z } from "zod";
import { consumerServiceConfig } from "@acme/kit/service";
import { parseEnv, withDatabaseTls } from "@acme/kit/env";

// The variables every event-consuming service reads (kit), with profile's defaults; `consumer` is the runner's settings.
const schema = consumerServiceConfig("profile", 8082);

export type ProfileConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProfileConfig {
  return withDatabaseTls(parseEnv(schema, env));
}
