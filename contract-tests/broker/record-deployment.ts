import { isMain } from "../../tools/checks/common.js";
import { brokerSettings } from "./broker-settings.js";
import { PACTICIPANTS, recordDeploymentArgs, runPactBroker, type Pacticipant } from "./pact-broker-cli.js";

/**
 * `npm run contracts:record-deployment -- [auth|profile|billing|notifications ...]`: after a
 * deployment, tells the broker which version now runs in PACT_ENVIRONMENT
 * (default production), so the next can-i-deploy and the providers'
 * `deployedOrReleased` selector know it. No names: all three.
 */
if (isMain(import.meta.url)) {
  const settings = brokerSettings();
  if (!settings) {
    console.error("contracts:record-deployment: PACT_BROKER_BASE_URL is not set: there is no broker to record the deployment in.");
    process.exit(2);
  }
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !(PACTICIPANTS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    console.error(`contracts:record-deployment: unknown service(s) ${unknown.join(", ")}; expected some of ${PACTICIPANTS.join(", ")}`);
    process.exit(2);
  }
  let failed = false;
  for (const pacticipant of (names.length > 0 ? names : PACTICIPANTS) as Pacticipant[]) {
    const call = await runPactBroker(recordDeploymentArgs(settings, pacticipant));
    console.log(`${pacticipant} ${settings.version} → ${settings.environment}: ${call.ok ? "recorded" : "FAILED"}\n${call.output}`);
    failed ||= !call.ok;
  }
  process.exitCode = failed ? 1 : 0;
}
