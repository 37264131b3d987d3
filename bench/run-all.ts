/**
 * `npm run bench [-- [--profile] P3 P5 ...]`: runs the benchmark scripts that
 * measure the chosen figures (all by default), one after another, each
 * starting its own servers and measuring its own baseline; then writes
 * reports/bench.json, bench.md and bench.svg, prints the table and, after a
 * full run, rewrites the README's benchmark table. A script that fails leaves
 * its figures missing (with the reason), never a ratio against zero; the
 * report is still written. With --profile every process of a script (the
 * script itself and the services it starts) writes a V8 CPU profile to
 * reports/profiles/<script>/, and bench.md names the busiest processes' top
 * frames under each figure that missed.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { selectFigures } from "./report/figures.js";
import { summarizeProfiles, type ProfileSummary } from "./report/profiles.js";
import { markdownReport, markdownTable, svgChart, withBenchTable, type BenchReport } from "./report/render.js";
import { describe, missingResult, type BenchResult } from "./report/results.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT_TIMEOUT_MS = Number(process.env.BENCH_SCRIPT_TIMEOUT_MS ?? 15 * 60_000);

const profiling = process.argv.includes("--profile");
const args = process.argv.slice(2).filter((a) => a !== "--profile");
const chosen = selectFigures(args);
const scripts = [...new Set(chosen.map((f) => f.script))];
const resultsFile = join(tmpdir(), `acme-bench-${process.pid}.jsonl`);
rmSync(resultsFile, { force: true });

const results: BenchResult[] = [];
const profiles: Record<string, ProfileSummary[]> = {};
const runStarted = Date.now();
for (const [i, script] of scripts.entries()) {
  const figures = chosen.filter((f) => f.script === script);
  console.log(`\n=== [${i + 1}/${scripts.length}] bench/${script}.ts: ${figures.map((f) => f.id).join(", ")} ===`);
  const started = Date.now();
  const profileDir = join(root, "reports/profiles", script);
  if (profiling) rmSync(profileDir, { recursive: true, force: true });
  const outcome = await runScript(script, profiling ? profileDir : undefined);
  const recorded = readRecorded();
  if (profiling) {
    const summaries = summarizeProfiles(profileDir, root);
    for (const f of figures) profiles[f.id] = summaries;
  }
  for (const f of figures) {
    const found = recorded.find((r) => r.id === f.id);
    results.push(found ?? missingResult(f, outcome.ok ? `bench/${script}.ts did not report it` : `bench/${script}.ts ${outcome.why}`));
  }
  console.log(`=== bench/${script}.ts done in ${((Date.now() - started) / 1000).toFixed(0)} s ===`);
}
rmSync(resultsFile, { force: true });

const machine = process.env.BENCH_MACHINE;
const report: BenchReport = { date: new Date().toISOString(), node: process.version, cores: availableParallelism(), ...(machine ? { machine } : {}), results };
mkdirSync(join(root, "reports"), { recursive: true });
writeFileSync(join(root, "reports/bench.json"), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(root, "reports/bench.md"), markdownReport(report, profiles));
writeFileSync(join(root, "reports/bench.svg"), svgChart(report));
console.log(`\n${markdownTable(report)}\n`);
for (const r of results) console.log(`${r.id}: ${describe(r)}`);
console.log(`\nwritten: reports/bench.json, reports/bench.md, reports/bench.svg (the run took ${((Date.now() - runStarted) / 60_000).toFixed(1)} min)`);
// A profiled run is slower in every process: its figures stay out of the README.
if (args.length === 0 && !profiling) {
  const readme = join(root, "README.md");
  writeFileSync(readme, withBenchTable(readFileSync(readme, "utf8"), report));
  console.log("README.md: benchmark table updated");
}
process.exit(results.some((r) => r.met === null) ? 1 : 0);

function readRecorded(): BenchResult[] {
  if (!existsSync(resultsFile)) return [];
  return readFileSync(resultsFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as BenchResult);
}

/** Runs bench/<script>.ts; with `profileDir`, it and every service it starts (BENCH_CPU_PROF_DIR) write CPU profiles there. */
function runScript(script: string, profileDir?: string): Promise<{ ok: true } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const profileFlags = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(process.execPath, [...profileFlags, "--import", "tsx", join(root, "bench", `${script}.ts`)], {
      cwd: root,
      stdio: ["ignore", "inherit", "pipe"],
      env: { ...process.env, BENCH_RESULTS: resultsFile, ...(profileDir ? { BENCH_CPU_PROF_DIR: profileDir } : {}) },
    });
    let lastError = "";
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      const lines = chunk.toString().trim().split("\n").filter(Boolean);
      if (lines.length) lastError = lines[lines.length - 1]!.slice(0, 300);
    });
    const timer = setTimeout(() => child.kill("SIGTERM"), SCRIPT_TIMEOUT_MS);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true });
      else resolve({ ok: false, why: `failed (${signal ?? `exit ${code}`})${lastError ? `: ${lastError}` : ""}` });
    });
  });
}
