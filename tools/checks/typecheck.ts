import { join } from "node:path";
import { type CheckResult, isMain, repoRoot, runBin, runCli } from "./common.js";

/**
 * `tsc -p PROJECT` (default: the root tsconfig.json, strict, noEmit, every
 * workspace). Reports the number of type errors and tsc's own messages.
 */
export function typecheck(project = join(repoRoot, "tsconfig.json")): CheckResult & { errors: number } {
  const r = runBin("tsc", ["-p", project, "--pretty", "false"]);
  const errors = (r.output.match(/(^|: )error TS\d+:/gm) ?? []).length;
  const ok = r.status === 0;
  const summary = ok ? "no type errors" : `${errors || "unknown number of"} type error(s) (tsc exit ${r.status})`;
  return { ok, errors, report: [r.output, summary].filter(Boolean).join("\n") };
}

if (isMain(import.meta.url)) await runCli("typecheck", () => typecheck());
