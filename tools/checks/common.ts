import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root (this file lives in tools/checks/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** What every check returns: a verdict and a report a person can act on. */
export interface CheckResult {
  ok: boolean;
  report: string;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for reports. */
  output: string;
}

/**
 * The environment the tools need: node_modules/.bin first on PATH (buf.gen.yaml's
 * `local: protoc-gen-es` resolves only there) and a buf cache inside the repo
 * (ignored by git), so buf works offline and in a read-only home.
 */
export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${join(repoRoot, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
    BUF_CACHE_DIR: process.env.BUF_CACHE_DIR ?? join(repoRoot, ".buf-cache"),
    ...extra,
  };
}

/** Runs a binary from node_modules/.bin synchronously and captures its output. */
export function runBin(bin: string, args: string[], cwd = repoRoot): RunResult {
  const r = spawnSync(join(repoRoot, "node_modules", ".bin", bin), args, {
    cwd,
    env: toolEnv(),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const stdout = r.stdout ?? "";
  const stderr = r.stderr ?? "";
  return { status: r.status ?? 1, stdout, stderr, output: [stdout, stderr].filter(Boolean).join("\n").trim() };
}

/** True when `moduleUrl` is the script node was started with (the CLI entry). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && moduleUrl === pathToFileURL(resolve(entry)).href;
}

/** CLI tail shared by the checks: print the report, set the exit code. */
export async function runCli(name: string, check: () => CheckResult | Promise<CheckResult>): Promise<void> {
  const started = Date.now();
  try {
    const result = await check();
    const line = `${name}: ${result.ok ? "ok" : "FAILED"} (${Date.now() - started} ms)`;
    (result.ok ? console.log : console.error)(result.report ? `${result.report}\n${line}` : line);
    process.exitCode = result.ok ? 0 : 1;
  } catch (err) {
    console.error(`${name}: could not run:`, err);
    process.exitCode = 2;
  }
}

/**
 * buf's `--error-format json` prints one annotation a line; its text format
 * omits the rule id, which is what a reader needs to look the rule up.
 * Renders `path:line:col: RULE_ID message`; lines that are not annotations
 * (compile errors, notes) pass through unchanged.
 */
export function formatBufAnnotations(output: string): string {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        const a = JSON.parse(line) as { path?: string; start_line?: number; start_column?: number; type?: string; message?: string };
        if (!a.type || !a.message) return line;
        const where = a.path ? `${a.path}:${a.start_line ?? 0}:${a.start_column ?? 0}: ` : "";
        return `${where}${a.type} ${a.message}`;
      } catch {
        return line;
      }
    })
    .join("\n");
}
