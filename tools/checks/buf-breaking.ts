import { spawnSync } from "node:child_process";
import { type CheckResult, formatBufAnnotations, isMain, repoRoot, runBin, runCli } from "./common.js";

export interface BufBreakingOptions {
  /** The buf workspace to check (a directory with buf.yaml). Default: the repository. */
  input?: string;
  /** What it must stay compatible with: a buf input (directory, `.git#branch=main`, ...). */
  against: string;
}

/**
 * `buf breaking INPUT --against AGAINST` with the rules of INPUT's buf.yaml
 * (WIRE_JSON: no change that breaks the binary or JSON encoding). Each
 * finding names its rule, the message and the field.
 */
export function bufBreaking({ input = repoRoot, against }: BufBreakingOptions): CheckResult {
  const r = runBin("buf", ["breaking", input, "--against", against, "--error-format", "json"]);
  return { ok: r.status === 0, report: formatBufAnnotations(r.output) };
}

function hasRef(ref: string): boolean {
  const r = spawnSync("git", ["rev-parse", "--verify", "--quiet", ref], { cwd: repoRoot, stdio: "ignore" });
  return r.status === 0;
}

/**
 * The contracts on the main branch: BUF_BREAKING_AGAINST if set, else the
 * local branch `main`, else `origin/main` (a CI clone of another branch).
 * Undefined when there is no main branch yet: nothing to compare against.
 */
export function mainBranchAgainst(): string | undefined {
  if (process.env.BUF_BREAKING_AGAINST) return process.env.BUF_BREAKING_AGAINST;
  if (hasRef("refs/heads/main")) return ".git#branch=main";
  if (hasRef("refs/remotes/origin/main")) return ".git#ref=origin/main";
  return undefined;
}

/** The CI gate: the working tree's proto/ against the main branch. */
export function bufBreakingAgainstMain(): CheckResult {
  const against = mainBranchAgainst();
  if (!against) {
    return {
      ok: true,
      report:
        "note: buf breaking skipped: this repository has no `main` branch (nor origin/main) to compare against yet. " +
        "Set BUF_BREAKING_AGAINST to a buf input (e.g. '.git#branch=trunk' or a directory) to compare with something else.",
    };
  }
  const result = bufBreaking({ against });
  return { ...result, report: [`against ${against}`, result.report].filter(Boolean).join("\n") };
}

if (isMain(import.meta.url)) await runCli("buf breaking", () => bufBreakingAgainstMain());
