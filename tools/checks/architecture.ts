import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { type CheckResult, isMain, repoRoot, runBin, runCli } from "./common.js";

export interface ArchitectureOptions {
  /** Directory the paths are relative to (dependency-cruiser's base). Default: the repository. */
  cwd?: string;
  /** Directories to cruise, relative to cwd. */
  targets: string[];
  /** Regular expression of paths not to cruise at all. */
  exclude?: string;
}

export interface Violation {
  rule: string;
  from: string;
  to: string;
}

export interface ArchitectureResult extends CheckResult {
  violations: Violation[];
  totalCruised: number;
}

/** What the real run cruises: everything with TypeScript except gen/ (resolved into, not cruised). */
export const REAL_TARGETS = ["services", "tools", "contract-tests", "bench"];
export const REAL_EXCLUDE = "^tools/checks/test/fixtures/";
const TS_FILE = /\.(c|m)?tsx?$/;

/** TypeScript files dependency-cruiser must see, walking like it does (no node_modules). */
function typescriptFiles(cwd: string, targets: string[], exclude?: string): string[] {
  const skip = exclude ? new RegExp(exclude) : undefined;
  return targets.flatMap((target) =>
    readdirSync(join(cwd, target), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && TS_FILE.test(e.name))
      .map((e) => relative(cwd, join(e.parentPath, e.name)))
      .filter((f) => !f.split("/").includes("node_modules") && !skip?.test(f)),
  );
}

interface CruiseOutput {
  modules: Array<{ source: string }>;
  summary: {
    totalCruised: number;
    violations: Array<{ rule: { name: string }; from: string; to: string }>;
  };
}

/**
 * Cruises `targets` with the repository's .dependency-cruiser.cjs. Fails on any
 * rule violation, and also when the cruise saw no module or skipped TypeScript
 * files: with a TypeScript dependency-cruiser cannot load (TypeScript 7 has no
 * JS compiler API), it cruises nothing and would otherwise pass everything.
 */
export function checkArchitecture({ cwd = repoRoot, targets, exclude }: ArchitectureOptions): ArchitectureResult {
  const existing = targets.filter((t) => existsSync(join(cwd, t)));
  const args = ["--config", join(repoRoot, ".dependency-cruiser.cjs"), "--output-type", "json"];
  if (exclude) args.push("--exclude", exclude);
  const r = runBin("depcruise", [...args, ...existing], cwd);
  let out: CruiseOutput;
  try {
    out = JSON.parse(r.stdout) as CruiseOutput;
  } catch {
    throw new Error(`dependency-cruiser gave no JSON result (exit ${r.status}):\n${r.output}`);
  }
  const violations = out.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
  const { totalCruised } = out.summary;
  const seen = new Set(out.modules.map((m) => m.source));
  const unseen = typescriptFiles(cwd, existing, exclude).filter((f) => !seen.has(f));

  const problems = violations.map((v) => `${v.rule}: ${v.from} → ${v.to}`);
  if (totalCruised === 0) {
    problems.push(
      `dependency-cruiser cruised 0 modules in ${existing.join(", ") || "(no existing directory)"}: ` +
        "the rules were not checked at all (is TypeScript >= 7 installed? dependency-cruiser needs TypeScript < 7).",
    );
  } else if (unseen.length > 0) {
    problems.push(
      `dependency-cruiser did not cruise ${unseen.length} TypeScript file(s), so the rules did not see them: ` +
        unseen.slice(0, 10).join(", ") +
        (unseen.length > 10 ? ", ..." : ""),
    );
  }
  const summary = `${totalCruised} modules cruised, ${violations.length} violation(s)`;
  return { ok: problems.length === 0, violations, totalCruised, report: [...problems, summary].join("\n") };
}

if (isMain(import.meta.url)) {
  await runCli("architecture", () => checkArchitecture({ targets: REAL_TARGETS, exclude: REAL_EXCLUDE }));
}
