import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkArchitecture, REAL_EXCLUDE, REAL_TARGETS, type ArchitectureResult } from "../../tools/checks/architecture.js";
import { bufBreakingAgainstMain } from "../../tools/checks/buf-breaking.js";
import { isMain } from "../../tools/checks/common.js";
import { brokerSettings } from "../broker/broker-settings.js";
import { canIDeployArgs, runPactBroker } from "../broker/pact-broker-cli.js";
import { billingContract } from "../consumers/billing-contract.js";
import { notificationsContract } from "../consumers/notifications-contract.js";
import { writeConsumerPact, type ConsumerContract } from "../consumers/consumer-contract.js";
import { profileContract } from "../consumers/profile-contract.js";
import { verificationLines } from "../providers/verification-report.js";
import { verifyAuthOnScratchDatabase } from "../providers/verify-cli.js";
import { CONSUMERS } from "../src/auth-events.js";
import { committedPactPath, compareWithCommitted } from "../src/pact-files.js";
import { gateVerdicts, SERVICES, type GateFindings } from "./verdicts.js";

const step = async <T>(name: string, run: () => T | Promise<T>, ok: (result: T) => boolean): Promise<T> => {
  const started = Date.now();
  const result = await run();
  console.log(`${name}: ${ok(result) ? "ok" : "FAILED"} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
};

/** The consumer half: the pact tests with the real handlers, and the committed pact must be what they produce. */
async function consumerPact(contract: ConsumerContract): Promise<{ ok: boolean; problems: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), `pact-gate-${contract.consumer}-`));
  try {
    const comparison = compareWithCommitted(await writeConsumerPact(contract, dir), contract.consumer, false);
    return { ok: comparison.ok, problems: comparison.ok ? [] : [comparison.report] };
  } catch (error) {
    return { ok: false, problems: [`its pact test fails: ${(error as Error).message}`] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What is wrong with the cruise itself (nothing cruised, files skipped): the report minus the violations and the summary. */
function cruiseProblems(result: ArchitectureResult): string[] {
  const violations = new Set(result.violations.map((v) => `${v.rule}: ${v.from} → ${v.to}`));
  return result.report.split("\n").filter((line) => line.trim() && !violations.has(line) && !/^\d+ modules cruised, /.test(line));
}

/**
 * `npm run can-i-deploy`: may each service of this commit deploy? buf
 * breaking against main, the pacts (consumer tests with the real handlers,
 * committed pacts current, auth verified against them on a real database)
 * and the architecture rules; with PACT_BROKER_BASE_URL, also the broker's
 * can-i-deploy for PACT_ENVIRONMENT. One verdict per service; exit 1 if any
 * service may not deploy.
 */
export async function canIDeploy(): Promise<boolean> {
  const broker = brokerSettings();
  const buf = await step("buf breaking", bufBreakingAgainstMain, (r) => r.ok);
  const architecture = await step(
    "architecture",
    () => checkArchitecture({ targets: REAL_TARGETS, exclude: REAL_EXCLUDE }),
    (r) => r.ok,
  );
  const consumerPacts = {
    profile: await step(
      "profile's pact tests",
      () => consumerPact(profileContract),
      (r) => r.ok,
    ),
    billing: await step(
      "billing's pact tests",
      () => consumerPact(billingContract),
      (r) => r.ok,
    ),
    notifications: await step(
      "notifications' pact tests",
      () => consumerPact(notificationsContract),
      (r) => r.ok,
    ),
  };
  const verification = await step(
    "auth's provider verification",
    () => verifyAuthOnScratchDatabase({ kind: "files", files: CONSUMERS.map(committedPactPath) }),
    (r) => r.ok,
  );
  const findings: GateFindings = {
    buf: {
      ok: buf.ok,
      findings: buf.report.split("\n").filter((line) => /^\S+:\d+:\d+: /.test(line)),
      ...(buf.report.startsWith("note:") ? { note: buf.report } : {}),
    },
    architecture: { violations: architecture.violations, problems: cruiseProblems(architecture) },
    consumerPacts,
    verification,
  };
  if (broker) {
    const answers = await step(
      `broker can-i-deploy (${broker.environment})`,
      () => Promise.all(SERVICES.map(async (service) => [service, await runPactBroker(canIDeployArgs(broker, service))] as const)),
      (calls) => calls.every(([, call]) => call.ok),
    );
    findings.broker = Object.fromEntries(
      answers.map(([service, call]) => {
        const lines = call.output.split("\n").filter((line) => line.trim());
        return [service, { ok: call.ok, answer: `${lines.at(-1) ?? (call.ok ? "yes" : "no")} (${broker.environment})` }];
      }),
    ) as GateFindings["broker"];
  }

  console.log(
    ["", ...verificationLines(verification), ...(buf.ok ? [] : ["", buf.report]), ...(architecture.ok ? [] : ["", architecture.report]), ""].join("\n"),
  );
  const verdicts = gateVerdicts(findings);
  for (const verdict of verdicts) (verdict.ok ? console.log : console.error)(verdict.line);
  if (!broker) console.log("(no PACT_BROKER_BASE_URL: the broker's can-i-deploy was not asked)");
  return verdicts.every((v) => v.ok);
}

if (isMain(import.meta.url)) process.exitCode = (await canIDeploy()) ? 0 : 1;
