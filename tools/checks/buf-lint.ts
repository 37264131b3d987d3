import { type CheckResult, formatBufAnnotations, isMain, repoRoot, runBin, runCli } from "./common.js";

/**
 * `buf lint` on the buf workspace in `dir` (default: the repository, whose
 * buf.yaml names the one module at proto/). Each violation is reported with
 * its rule id, e.g. MESSAGE_PASCAL_CASE or FIELD_LOWER_SNAKE_CASE.
 */
export function bufLint(dir = repoRoot): CheckResult {
  const r = runBin("buf", ["lint", "--error-format", "json"], dir);
  return { ok: r.status === 0, report: formatBufAnnotations(r.output) };
}

if (isMain(import.meta.url)) await runCli("buf lint", () => bufLint());
