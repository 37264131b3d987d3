import { figure } from "./figures.js";
import type { ProfileSummary } from "./profiles.js";
import type { BenchResult } from "./results.js";
import { fmt } from "./results.js";

export interface BenchReport {
  date: string;
  node: string;
  cores: number;
  /** What else ran on the machine, said beside the date (BENCH_MACHINE): absolute numbers depend on it, the ratios much less. */
  machine?: string;
  results: BenchResult[];
}

const target = (r: BenchResult) =>
  [r.target_min !== undefined ? `≥ ${r.target_min}` : "", r.target_max !== undefined ? `≤ ${r.target_max}` : ""].filter(Boolean).join(", ");
const verdict = (r: BenchResult) => (r.met === null ? "missing" : r.met ? "met" : "**not met**");

/** The Markdown table (also the README's benchmark section). */
export function markdownTable(report: BenchReport): string {
  const rows = report.results.map(
    (r) =>
      `| ${r.id} | ${r.name} | ${fmt(r.value)} ${r.value === null ? "" : r.unit} | ${fmt(r.baseline)} | ${r.ratio === null ? "-" : r.ratio.toFixed(2)} | ${target(r)} | ${verdict(r)} |`,
  );
  return [
    `Measured ${report.date} on Node ${report.node}, ${report.cores} cores${report.machine ? `, ${report.machine}` : ""}.`,
    "",
    "| id | figure | value | baseline | ratio | target | |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/**
 * The report: the table, then for each figure that missed its target what
 * bounds it (as measured, with the docs section that shows how) and, from a
 * run with `--profile`, the busiest processes' top frames in this run.
 */
export function markdownReport(report: BenchReport, profiles: Record<string, ProfileSummary[]> = {}): string {
  const notes = report.results.filter((r) => r.note).map((r) => `- **${r.id}**: ${r.note}`);
  const misses = report.results.filter((r) => r.met === false).flatMap((r) => missSection(r, profiles[r.id] ?? []));
  return [
    `# Benchmark report`,
    "",
    markdownTable(report),
    "",
    "Each ratio compares two measurements taken side by side in this run; the measurements behind each figure, what was tried and what it gained: [docs/performance.md](../docs/performance.md).",
    "",
    ...(misses.length ? ["## What bounds the misses", "", ...misses] : []),
    ...(notes.length ? ["## Notes", "", ...notes, ""] : []),
  ].join("\n");
}

function missSection(r: BenchResult, profiles: ProfileSummary[]): string[] {
  const f = figure(r.id);
  const lines = [
    `### ${r.id}: ${r.ratio?.toFixed(2)} against ${target(r)}`,
    "",
    `What bounds it: ${f.bound}`,
    "",
    `Tried: ${f.tried} See [docs/performance.md](../docs/performance.md), “${f.section}”.`,
    "",
  ];
  if (profiles.length) {
    lines.push("CPU profiles of this run, busiest process first; the frames with the most self time, Node's module loader left out:", "");
    for (const p of profiles) {
      const frames = p.top.map((t) => `${t.frame} ${(t.share * 100).toFixed(1)}%`).join("; ");
      lines.push(
        `- \`${p.process}\`, ${p.seconds.toFixed(1)} s of CPU and ${p.loadingSeconds.toFixed(1)} s in Node's module loader (\`${p.file}\`): ${frames}`,
      );
    }
    lines.push("");
  }
  return lines;
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);

/**
 * One horizontal bar per figure: its ratio, with a line at each target.
 * The scale is shared (0 to the largest ratio or target, at least 1.2).
 */
export function svgChart(report: BenchReport): string {
  const rowHeight = 26;
  const labelWidth = 150;
  const barWidth = 520;
  const top = 30;
  const max = Math.max(1.2, ...report.results.flatMap((r) => [r.ratio ?? 0, r.target_min ?? 0, r.target_max ?? 0]));
  const x = (ratio: number) => labelWidth + (Math.min(ratio, max) / max) * barWidth;
  const height = top + report.results.length * rowHeight + 30;
  const rows = report.results.map((r, i) => {
    const y = top + i * rowHeight;
    const colour = r.met === null ? "#999" : r.met ? "#2e7d32" : "#c62828";
    const bar =
      r.ratio === null
        ? `<text x="${labelWidth + 4}" y="${y + 16}" font-size="11" fill="#666">missing</text>`
        : `<rect x="${labelWidth}" y="${y + 4}" width="${(x(r.ratio) - labelWidth).toFixed(1)}" height="16" fill="${colour}"><title>${escapeXml(`${r.name}: ${r.ratio.toFixed(2)}`)}</title></rect>` +
          `<text x="${(x(r.ratio) + 4).toFixed(1)}" y="${y + 16}" font-size="11">${r.ratio.toFixed(2)}</text>`;
    const lines = [r.target_min, r.target_max]
      .filter((t): t is number => t !== undefined)
      .map((t) => `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${y + 1}" y2="${y + 23}" stroke="#000" stroke-width="2"/>`);
    return `<text x="4" y="${y + 16}" font-size="12">${escapeXml(r.id)}</text>${bar}${lines.join("")}`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 60}" height="${height}" font-family="sans-serif">`,
    `<text x="4" y="18" font-size="13">Benchmark ratios (bar) against targets (black line); Node ${escapeXml(report.node)}, ${report.cores} cores, ${escapeXml(report.date)}</text>`,
    ...rows,
    `<text x="4" y="${height - 8}" font-size="11" fill="#555">green: target met, red: not met, grey: missing</text>`,
    "</svg>",
  ].join("\n");
}

/** Replaces the README's generated benchmark section (between the markers) with the table. */
export function withBenchTable(readme: string, report: BenchReport): string {
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) return readme;
  return `${readme.slice(0, from + start.length)}\n${markdownTable(report)}\n${readme.slice(to)}`;
}
