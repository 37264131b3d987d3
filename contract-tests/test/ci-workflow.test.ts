import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../src/pact-files.js";

interface Step {
  name?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}
interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, { steps: Step[]; if?: string }>;
}

const workflow = parse(readFileSync(join(REPO_ROOT, ".github/workflows/contracts.yml"), "utf8")) as Workflow;
const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const runOf = (script: string) => steps.find((step) => step.run === `npm run ${script}`);

/** The CI workflow can only be run on a CI service; here it is held to the npm scripts it calls. */
describe("the contracts CI workflow", () => {
  it("calls only npm scripts that exist", () => {
    const called = steps.flatMap((step) => [...(step.run ?? "").matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((script) => !(script in scripts))).toEqual([]);
  });

  it("takes the broker from the repository's variable and secret, and reports nothing to pact.io", () => {
    expect(workflow.env).toMatchObject({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions, literally
      PACT_BROKER_BASE_URL: "${{ vars.PACT_BROKER_BASE_URL }}",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions, literally
      PACT_BROKER_TOKEN: "${{ secrets.PACT_BROKER_TOKEN }}",
      PACT_DO_NOT_TRACK: "true",
    });
  });

  it("runs the contract tests and the gate always, the broker steps only with a broker", () => {
    expect(runOf("contracts:test")).toBeDefined();
    expect(runOf("can-i-deploy")).toBeDefined();
    for (const script of ["contracts:publish", "contracts:verify"]) expect(runOf(script)?.if).toContain("env.PACT_BROKER_BASE_URL != ''");
    expect(runOf("contracts:verify")?.env).toEqual({ PACT_PUBLISH_VERIFICATION_RESULTS: "true" });
    expect(workflow.jobs["record-deployment"]?.if).toContain("vars.PACT_BROKER_BASE_URL != ''");
  });

  it("publishes before it verifies, and gates last", () => {
    const order = ["contracts:test", "contracts:publish", "contracts:verify", "can-i-deploy"].map((script) => steps.indexOf(runOf(script)!));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});
