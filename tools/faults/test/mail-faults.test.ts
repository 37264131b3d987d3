import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readMailFile } from "@acme/devstack/mail-file";
import { FAULTS } from "../src/faults.js";
import { checkMails } from "../src/mail-invariant.js";
import { passed, type ScenarioResult } from "../src/scenario.js";
import { runFaultSuite } from "../src/suite.js";
import { resultNotes, resultTable } from "../src/table.js";

/**
 * notifications and the mail sink in the fault suite (`npm run faults` runs
 * these and kill -9 after the SMTP server accepted a mail): under steady
 * writes to auth, kill -9 of notifications inside its transaction and after
 * COMMIT, and kill -9 of the sink. Every write auth committed ends as exactly one
 * distinct Message-ID per template in the sink; further copies of a
 * Message-ID (at least once) are allowed and counted.
 */
describe("faults: every committed write is mailed once per template, counted by Message-ID", () => {
  it("through kill -9 of notifications before and after COMMIT, and of the mail sink", async () => {
    // notifications-kill-after-mail-accepted runs in `npm run faults` (and services/notifications' crash test): a fourth system-wide scenario costs minutes here.
    const wanted = ["notifications-kill-before-commit", "notifications-kill-after-commit", "mail-sink-kill"];
    const lines: string[] = [];
    let tampered: { lost: number; copies: number } | undefined;
    const results = await runFaultSuite({
      faults: wanted.map((id) => FAULTS.find((f) => f.id === id)!),
      scenario: { loadMs: 5_000, opsPerSecond: 15, injectWindowMs: [1_000, 2_500], tailMs: 2_000 },
      profileInstances: 1,
      log: (line) => lines.push(line),
      // The check must be able to fail: take one delivered mail of the last scenario out of the sink.
      inspect: async (system, done) => {
        const last = done.at(-1)!;
        const before = await checkMails(system, last.floor);
        const [row] = await system.sql("notifications")<
          { message_id: string }[]
        >`select message_id from mails where status = 'sent' order by created_at desc limit 1`;
        for (const name of (await readdir(system.mailDir)).filter((n) => n.endsWith(".eml"))) {
          if ((await readMailFile(system.mailDir, name)).messageId === row!.message_id) await rm(join(system.mailDir, name));
        }
        const after = await checkMails(system, last.floor);
        tampered = { lost: after.lost - before.lost, copies: after.copies - before.copies };
      },
    });
    const report = `${resultTable(results)}\n${resultNotes(results)}\n${lines.join("\n")}`;
    const summary = (r: ScenarioResult) => ({
      fault: r.fault.id,
      lost: r.verdict?.lost,
      duplicated: r.verdict?.duplicated,
      mailsLost: r.mail?.lost,
      mailsUnexpected: r.mail?.unexpected,
      quiet: r.quiet,
      failures: r.failures,
    });
    expect(results.map(summary), report).toEqual(
      wanted.map((fault) => ({ fault, lost: 0, duplicated: 0, mailsLost: 0, mailsUnexpected: 0, quiet: true, failures: [] })),
    );
    expect(results.every(passed), report).toBe(true);
    for (const r of results) {
      // Load ran through each fault, and its mail went out.
      expect(r.verdict!.okWrites, report).toBeGreaterThan(20);
      expect(r.mail!.delivered, report).toBeGreaterThan(20);
    }
    console.log(report);
    // Whatever the copies were before, removing every copy of one Message-ID is one mail lost.
    expect(tampered, report).toMatchObject({ lost: 1 });
  }, 600_000); // 4 scenarios took 4 min alone with the machine's load average near 20, and over 8 inside `npm test`
});
