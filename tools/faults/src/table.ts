import { passed, type ScenarioResult } from "./scenario.js";

const HEADERS = [
  "fault",
  "writes OK",
  "unknown",
  "applied profile",
  "applied billing",
  "applied notifications",
  "lost",
  "duplicated",
  "unexpected",
  "republished",
  "mails",
  "mail copies",
  "recovery",
  "result",
];

/** The results as a Markdown table (pasted as is into docs/faults.md; `short`: fault ids instead of descriptions). */
export function resultTable(results: ScenarioResult[], options: { short?: boolean } = {}): string {
  const rows = results.map((r) => {
    const v = r.verdict;
    return [
      options.short ? r.fault.id : r.fault.title,
      String(v?.okWrites ?? "?"),
      String(v?.unknownWrites ?? "?"),
      String(v?.applied.profile ?? "?"),
      String(v?.applied.billing ?? "?"),
      String(v?.applied.notifications ?? "?"),
      String((v?.lost ?? 0) + (r.mail?.lost ?? 0)),
      String(v?.duplicated ?? "?"),
      String((v?.unexpected ?? 0) + (r.mail?.unexpected ?? 0) + r.orphans),
      String(r.republished),
      // Distinct Message-IDs received of those expected; copies are at-least-once redeliveries (same Message-ID).
      r.mail ? `${r.mail.delivered}/${r.mail.expected}${r.mail.skipped ? ` (+${r.mail.skipped} skipped)` : ""}` : "?",
      String(r.mail?.copies ?? "?"),
      r.recoveryMs === undefined ? "n/a" : `${(r.recoveryMs / 1000).toFixed(1)} s`,
      passed(r) ? "pass" : "FAIL",
    ];
  });
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(HEADERS), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Notes and failures of each scenario, one line each. */
export function resultNotes(results: ScenarioResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const details = [...r.notes, ...r.failures.map((f) => `FAILED: ${f}`), ...(passed(r) ? [] : [...(r.verdict?.problems ?? []), ...(r.mail?.problems ?? [])])];
    lines.push(`- ${r.fault.id} (${r.seconds.toFixed(0)} s): ${details.join("; ") || "-"}`);
  }
  return lines.join("\n");
}
