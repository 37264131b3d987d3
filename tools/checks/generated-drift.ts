import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type CheckResult, isMain, repoRoot, runBin, runCli } from "./common.js";

/** Where buf.gen.yaml writes, relative to the repository. */
const GEN_OUT = join("gen", "src");

export interface Drift {
  /** Generated now but not committed (`npm run gen` would add them). */
  missing: string[];
  /** Committed but no longer generated (`npm run gen` would delete them). */
  extra: string[];
  /** Committed with other content than generated. */
  changed: string[];
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Compares two trees file by file. */
export function compareTrees(expected: string, actual: string): Drift {
  const want = new Set(listFiles(expected));
  const have = new Set(listFiles(actual));
  return {
    missing: [...want].filter((f) => !have.has(f)),
    extra: [...have].filter((f) => !want.has(f)),
    changed: [...want].filter((f) => have.has(f) && !readFileSync(join(expected, f)).equals(readFileSync(join(actual, f)))),
  };
}

/**
 * Regenerates the code from proto/ into a temporary directory with the
 * repository's buf.gen.yaml and compares it with `committed` (default gen/src).
 */
export function generatedDrift(committed = join(repoRoot, GEN_OUT)): CheckResult & { drift: Drift } {
  const out = mkdtempSync(join(tmpdir(), "acme-gen-drift-"));
  try {
    const r = runBin("buf", ["generate", "-o", out]);
    if (r.status !== 0) throw new Error(`buf generate failed:\n${r.output}`);
    const drift = compareTrees(join(out, GEN_OUT), committed);
    const lines = [
      ...drift.missing.map((f) => `missing (npm run gen would add): ${f}`),
      ...drift.extra.map((f) => `extra (npm run gen would delete): ${f}`),
      ...drift.changed.map((f) => `changed (differs from generated): ${f}`),
    ];
    const ok = lines.length === 0;
    if (!ok) lines.push(`${relative(repoRoot, committed) || committed} is out of date with proto/: run \`npm run gen\` and commit the result.`);
    return { ok, drift, report: lines.join("\n") };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runCli("generated code drift", () => generatedDrift());
