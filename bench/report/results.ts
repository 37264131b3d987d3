import { appendFileSync } from "node:fs";
import { figure, type Figure } from "./figures.js";

/** One entry of reports/bench.json. A missing figure has null value and ratio and says why. */
export interface BenchResult {
  id: string;
  name: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target_min?: number;
  target_max?: number;
  met: boolean | null;
  note?: string;
}

export function meets(f: Pick<Figure, "target_min" | "target_max">, ratio: number): boolean {
  return (f.target_min === undefined || ratio >= f.target_min) && (f.target_max === undefined || ratio <= f.target_max);
}

/**
 * The result of one figure, ratio against a baseline measured in the same
 * run. A baseline that is zero or not finite is a failed baseline: the
 * figure is missing, never a ratio against zero.
 */
export function resultOf(id: string, value: number, baseline: number, note?: string): BenchResult {
  const f = figure(id);
  const targets = { ...(f.target_min !== undefined ? { target_min: f.target_min } : {}), ...(f.target_max !== undefined ? { target_max: f.target_max } : {}) };
  if (!Number.isFinite(baseline) || baseline <= 0 || !Number.isFinite(value)) {
    return {
      id,
      name: f.name,
      value: Number.isFinite(value) ? value : null,
      unit: f.unit,
      baseline: null,
      ratio: null,
      ...targets,
      met: null,
      note: `baseline failed (${baseline}); ${note ?? ""}`.trim(),
    };
  }
  const ratio = value / baseline;
  return { id, name: f.name, value, unit: f.unit, baseline, ratio, ...targets, met: meets(f, ratio), ...(note ? { note } : {}) };
}

export function missingResult(f: Figure, why: string): BenchResult {
  return {
    id: f.id,
    name: f.name,
    value: null,
    unit: f.unit,
    baseline: null,
    ratio: null,
    ...(f.target_min !== undefined ? { target_min: f.target_min } : {}),
    ...(f.target_max !== undefined ? { target_max: f.target_max } : {}),
    met: null,
    note: `missing: ${why}`,
  };
}

/**
 * Called by a benchmark script for each figure it measured: prints it and,
 * under `npm run bench`, hands it to the report (BENCH_RESULTS names a file
 * of JSON lines the runner reads back).
 */
export function recordFigure(id: string, value: number, baseline: number, note?: string): BenchResult {
  const result = resultOf(id, value, baseline, note);
  console.log(`${id} ${result.name}: ${describe(result)}`);
  const file = process.env.BENCH_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify(result)}\n`);
  return result;
}

export function describe(r: BenchResult): string {
  if (r.ratio === null) return r.note ?? "missing";
  const target = [r.target_min !== undefined ? `>= ${r.target_min}` : "", r.target_max !== undefined ? `<= ${r.target_max}` : ""].filter(Boolean).join(" and ");
  return `${fmt(r.value)} ${r.unit} vs ${fmt(r.baseline)} ${r.unit} = ${r.ratio.toFixed(2)} (target ${target}: ${r.met ? "met" : "NOT met"})`;
}

export function fmt(n: number | null): string {
  if (n === null) return "-";
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}
