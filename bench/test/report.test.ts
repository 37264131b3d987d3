import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FIGURES, selectFigures } from "../report/figures.js";
import { summarizeProfile, summarizeProfiles } from "../report/profiles.js";
import { markdownReport, markdownTable, svgChart, withBenchTable, type BenchReport } from "../report/render.js";
import { missingResult, resultOf } from "../report/results.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

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

  it("names, for each figure that misses, what bounds it and the section of docs/performance.md that measured it", () => {
    const docs = readFileSync(join(ROOT, "docs/performance.md"), "utf8");
    const headings = new Set(docs.split("\n").flatMap((line) => (/^#{2,3} (.+)$/.exec(line)?.[1] ? [/^#{2,3} (.+)$/.exec(line)![1]!] : [])));
    for (const f of FIGURES) {
      expect(f.bound.length, f.id).toBeGreaterThan(20);
      expect(f.tried.length, f.id).toBeGreaterThan(20);
      expect(headings.has(f.section), `${f.id}: "${f.section}" is a heading of docs/performance.md`).toBe(true);
    }
    const report: BenchReport = { date: "2026-12-01T00:00:00.000Z", node: "v24.0.0", cores: 2, results: [resultOf("P1", 90, 100), resultOf("P6", 78, 100)] };
    const profile = {
      file: "reports/profiles/get-profile/CPU.1.cpuprofile",
      process: "services/profile",
      seconds: 8.9,
      loadingSeconds: 1.2,
      top: [{ frame: "writev", share: 0.114 }],
    };
    const text = markdownReport(report, { P6: [profile] });
    expect(text).toContain("## What bounds the misses");
    expect(text).toContain("### P6: 0.78 against ≥ 0.9");
    expect(text).toContain(`What bounds it: ${FIGURES.find((f) => f.id === "P6")!.bound}`);
    expect(text).toContain(`Tried: ${FIGURES.find((f) => f.id === "P6")!.tried}`);
    expect(text).toContain(
      "- `services/profile`, 8.9 s of CPU and 1.2 s in Node's module loader (`reports/profiles/get-profile/CPU.1.cpuprofile`): writev 11.4%",
    );
    expect(text).not.toContain("### P1");
    expect(markdownReport({ ...report, results: [resultOf("P1", 90, 100)] })).not.toContain("What bounds the misses");
  });

  it("summarizes a real V8 CPU profile: the process it was, its CPU time, the frames with the most self time", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-profile-"));
    try {
      // A script that burns CPU in a function of its own, profiled by V8 as `npm run bench -- --profile` does.
      execFileSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, join(ROOT, "bench/test/fixtures/busy-script.mjs")], { cwd: ROOT });
      const [summary] = summarizeProfiles(dir, ROOT);
      expect(summary!.file.startsWith(relative(ROOT, dir))).toBe(true);
      expect(summary!.process).toBe("bench/test/fixtures/busy-script.mjs");
      expect(summary!.seconds).toBeGreaterThan(0.1);
      expect(summary!.top[0]!.frame).toMatch(/^spin bench\/test\/fixtures\/busy-script\.mjs:\d+$/);
      expect(summary!.top[0]!.share).toBeGreaterThan(0.3);
      expect(summarizeProfiles(join(dir, "absent"), ROOT)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("counts Node's module loader apart, with what runs under it, but not code of ours a module runs at its top level", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-profile-"));
    try {
      const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
        id,
        callFrame: { functionName, url, lineNumber: 0 },
        children,
      });
      const nodes = [
        frame(1, "(root)", "", [2, 6]),
        frame(2, "import", "node:internal/modules/esm/loader", [3, 4]),
        frame(3, "readFileUtf8", ""), // native, under the loader: loading
        frame(4, "main", "file:///repo/services/profile/dist/main.mjs", [5]), // a module's top level: ours
        frame(5, "compile", "node:internal/vm"), // Node's own, under our code: ours
        frame(6, "(garbage collector)", ""),
      ];
      // Samples of 1 ms: 3 in the loader's native read, 5 in main, 1 in compile, 1 in the collector.
      const samples = [3, 3, 3, 4, 4, 4, 4, 4, 5, 6];
      const file = join(dir, "synthetic.cpuprofile");
      writeFileSync(file, JSON.stringify({ nodes, samples, timeDeltas: samples.map(() => 1_000), startTime: 0, endTime: 10_000 }));
      const summary = summarizeProfile(file, dir);
      expect(summary.loadingSeconds).toBeCloseTo(0.003);
      expect(summary.seconds).toBeCloseTo(0.007);
      expect(summary.process).toBe("services/profile");
      // A bench script names its process, though its helpers in bench/support may have more frames.
      const script = { ...JSON.parse(readFileSync(file, "utf8")) };
      script.nodes.push(
        frame(8, "start", "file:///repo/bench/support/infra.ts"),
        frame(9, "stop", "file:///repo/bench/support/infra.ts"),
        frame(10, "main", "file:///repo/bench/relay-drain.ts"),
      );
      script.nodes[0].children.push(8, 9, 10);
      writeFileSync(file, JSON.stringify(script));
      expect(summarizeProfile(file, dir).process).toBe("bench/relay-drain.ts");
      expect(summary.top.map((t) => t.frame)).toEqual(["main services/profile/dist/main.mjs:1", "compile node:internal/vm:1", "(garbage collector)"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
