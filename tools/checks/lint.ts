import { type CheckResult, isMain, repoRoot, runBin, runCli } from "./common.js";

/**
 * Biome's lint and format check (`biome ci`) on `paths` (default: the whole
 * repository, as biome.jsonc selects it). Fails on any diagnostic, formatting
 * included; `npm run format` applies the formatter and the safe fixes.
 */
export function lint(paths: string[] = ["."], cwd = repoRoot, extraArgs: string[] = []): CheckResult {
  const r = runBin("biome", ["ci", "--colors=off", "--error-on-warnings", "--max-diagnostics=50", ...extraArgs, ...paths], cwd);
  return { ok: r.status === 0, report: r.output };
}

if (isMain(import.meta.url)) await runCli("biome ci", () => lint());
