/**
 * Pact's native core reports anonymous usage to pact.io unless told not to.
 * Nothing here may reach the network except a Pact Broker the user names, so
 * every module that runs Pact imports this one first.
 */
process.env.PACT_DO_NOT_TRACK = "true";

/** Pact's own log level: quiet unless asked (PACT_LOG_LEVEL=debug). */
export const PACT_LOG_LEVEL = (process.env.PACT_LOG_LEVEL ?? "warn") as "trace" | "debug" | "info" | "warn" | "error";

/**
 * pact-core adds the broker named by PACT_BROKER_BASE_URL as a pact source to
 * ANY verification that names a provider, and publishes results when
 * PACT_BROKER_PUBLISH_VERIFICATION_RESULTS is set. A verification of local
 * pact files must not do either just because CI exported those variables, so
 * they are hidden while it runs; broker runs pass the broker explicitly.
 */
const AMBIENT_BROKER_VARIABLES = ["PACT_BROKER_BASE_URL", "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS"] as const;

export async function withoutAmbientBrokerSettings<T>(run: () => Promise<T>): Promise<T> {
  const saved = AMBIENT_BROKER_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return await run();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}
