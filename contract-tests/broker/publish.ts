import { isMain } from "../../tools/checks/common.js";
import { brokerSettings } from "./broker-settings.js";
import { publishArgs, runPactBroker } from "./pact-broker-cli.js";

/**
 * `npm run contracts:publish`: the committed pacts (which `npm test` holds to
 * what the consumer tests produce) go to the broker as this commit's version
 * of profile, billing and notifications, on this branch.
 */
if (isMain(import.meta.url)) {
  const settings = brokerSettings();
  if (!settings) {
    console.error(
      "contracts:publish: PACT_BROKER_BASE_URL is not set, so there is no broker to publish to. Without one, `npm test` verifies the committed pacts.",
    );
    process.exit(2);
  }
  console.log(`publishing contract-tests/pacts as version ${settings.version} on branch ${settings.branch} to ${settings.baseUrl}`);
  const call = await runPactBroker(publishArgs(settings));
  console.log(call.output);
  process.exitCode = call.ok ? 0 : 1;
}
