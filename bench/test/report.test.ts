import { describe, expect, it } from "vitest";
import { FIGURES, selectFigures } from "../report/figures.js";
import { markdownReport, markdownTable, svgChart, withBenchTable, type BenchReport } from "../report/render.js";
import { missingResult, resultOf } from "../report/results.js";

describe("benchmark report", () => {
  it("has one figure per id of the issue, the mail figure, each with a target", () => {
    expect(FIGURES.map((f) => f.id)).toEqual([
      "P1",
      "P2",
      "P3",
      "P4",
      "P5.p50",
      "P5.p99",
      "P6",
      "P6.traced",
      "P7",
      "P8.auth.idle",
      "P8.auth.peak",
      "P8.profile.idle",
      "P8.profile.peak",
      "P8.billing.idle",
      "P8.billing.peak",
      "P8.notifications.idle",
      "P8.notifications.peak",
      "P9",
      "N1",
    ]);
    for (const f of FIGURES) expect(f.target_min !== undefined || f.target_max !== undefined, f.id).toBe(true);
  });

  it("selects a figure, a family of figures, and refuses an unknown one", () => {
    expect(selectFigures(["P3"]).map((f) => f.id)).toEqual(["P3"]);
    expect(selectFigures(["P5"]).map((f) => f.id)).toEqual(["P5.p50", "P5.p99"]);
    expect(selectFigures(["P8"]).map((f) => f.id)).toHaveLength(8);
    expect(selectFigures(["N1"]).map((f) => f.script)).toEqual(["mail-send"]);
    expect(() => selectFigures(["P10"])).toThrow(/unknown benchmark figure\(s\): P10/);
  });

  it("judges a ratio against a lower bound, an upper bound, and both", () => {
    expect(resultOf("P1", 80, 100)).toMatchObject({ ratio: 0.8, met: false, target_min: 0.85 });
    expect(resultOf("P1", 90, 100)).toMatchObject({ met: true });
    expect(resultOf("P5.p50", 5, 1)).toMatchObject({ ratio: 5, met: false, target_max: 4 });
    expect(resultOf("P7", 1.2, 1)).toMatchObject({ met: false });
    expect(resultOf("P7", 0.8, 1)).toMatchObject({ met: false });
    expect(resultOf("P7", 1.05, 1)).toMatchObject({ met: true });
  });

  it("records a failed baseline as missing, never as a ratio against zero", () => {
    const result = resultOf("P3", 5_000, 0);
    expect(result).toMatchObject({ ratio: null, met: null, baseline: null });
    expect(result.note).toMatch(/baseline failed/);
    expect(resultOf("P3", 5_000, Number.NaN).ratio).toBeNull();
  });

  it("renders the table, the chart and the README section, missing figures included", () => {
    const report: BenchReport = {
      date: "2026-12-01T00:00:00.000Z",
      node: "v24.0.0",
      cores: 2,
      results: [
        resultOf("P1", 90, 100),
        resultOf("P5.p50", 5, 1),
        missingResult(FIGURES.find((f) => f.id === "P9")!, "bench/recovery.ts failed (exit 1)"),
        resultOf("N1", 200, 400),
      ],
    };
    const table = markdownTable(report);
    expect(table).toContain("| P1 | Register rps / raw argon2id hashes/s | 90.0 ops/s | 100 | 0.90 | ≥ 0.85 | met |");
    expect(table).toContain("| P5.p50 |");
    expect(table).toMatch(/\| P9 \|.*\| - \| - \|.*\| missing \|/);
    expect(table).toContain(
      "| N1 | notifications mails/s through the sink / nodemailer to the same sink alone | 200 mails/s | 400 | 0.50 | ≥ 0.8 | **not met** |",
    );
    expect(markdownTable({ ...report, machine: "shared with other work" })).toContain("2 cores, shared with other work.");

    const svg = svgChart(report);
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain(">missing<");
    expect(svg.match(/<line /g)).toHaveLength(4);

    const full = markdownReport(report);
    expect(full).toContain("[docs/performance.md](../docs/performance.md)");

    const readme = "# Title\n<!-- bench:start -->\nold table\n<!-- bench:end -->\nrest\n";
    const updated = withBenchTable(readme, report);
    expect(updated).not.toContain("old table");
    expect(updated).toContain("| P1 |");
    expect(updated.endsWith("<!-- bench:end -->\nrest\n")).toBe(true);
    expect(withBenchTable("no markers here", report)).toBe("no markers here");
  });
});
