import { describe, expect, it } from "vitest";
import { FAULTS } from "../src/faults.js";
import { checkInvariant, consumerOrphans } from "../src/invariant.js";
import { passed, type ScenarioResult } from "../src/scenario.js";
import { runFaultSuite } from "../src/suite.js";
import { SYSTEM_SERVICES } from "../src/system.js";
import { resultNotes, resultTable } from "../src/table.js";

/**
 * The fast subset of `npm run faults`: three faults, short load, on the
 * real system as processes (PostgreSQL per service, nats-server with the
 * services' NATS users, the bundled services). The whole run is
 * `npm run faults`; docs/testing.md, "Faults and hostile input".
 */
describe("faults (fast subset): every write that returned OK is applied once in profile, billing and notifications, and mailed once per template", () => {
  it("through kill -9 of nats-server, kill -9 of billing after COMMIT before its ack, and SIGTERM to every process", async () => {
    const wanted = ["nats-kill", "consumer-kill-after-commit", "sigterm-all"];
    const lines: string[] = [];
    let tampered: { lost: number; orphans: number } | undefined;
    let durability: Record<string, string>[] = [];
    const results = await runFaultSuite({
      faults: wanted.map((id) => FAULTS.find((f) => f.id === id)!),
      scenario: { loadMs: 5_000, opsPerSecond: 15, injectWindowMs: [1_000, 2_500], tailMs: 2_000 },
      profileInstances: 1,
      log: (line) => lines.push(line),
      // The check must be able to fail: break one applied write in billing and invent an inbox entry.
      inspect: async (system, done) => {
        durability = await Promise.all(SYSTEM_SERVICES.map((s) => system.durability(s)));
        const last = done.at(-1)!;
        const registered = last.ledger.users.find((u) => u.userId && u.writes[0]?.outcome === "ok")!;
        const [victim] = await system.sql("auth")<{ event_id: string }[]>`
          select event_id::text from outbox where id > ${last.floor} and partition_key = ${registered.userId!} and subject like '%.user_registered.v1'`;
        await system.sql("billing")`delete from processed_events where event_id = ${victim!.event_id}`;
        const orphansBefore = (await consumerOrphans(system)).count;
        await system.sql("profile")`insert into processed_events (event_id) values ('forged-event-id')`;
        tampered = { lost: (await checkInvariant(system, last.ledger, last.floor)).lost, orphans: (await consumerOrphans(system)).count - orphansBefore };
      },
    });
    const report = `${resultTable(results)}\n${resultNotes(results)}\n${lines.join("\n")}`;
    const summary = (r: ScenarioResult) => ({
      fault: r.fault.id,
      lost: r.verdict?.lost,
      duplicated: r.verdict?.duplicated,
      unexpected: (r.verdict?.unexpected ?? 0) + r.orphans,
      mailsLost: r.mail?.lost,
      mailsUnexpected: r.mail?.unexpected,
      quiet: r.quiet,
      failures: r.failures,
    });
    expect(results.map(summary), report).toEqual(
      wanted.map((fault) => ({ fault, lost: 0, duplicated: 0, unexpected: 0, mailsLost: 0, mailsUnexpected: 0, quiet: true, failures: [] })),
    );
    expect(results.every(passed)).toBe(true);
    // Load actually ran through each fault.
    for (const r of results) expect(r.verdict!.okWrites, report).toBeGreaterThan(20);
    expect(tampered, report).toEqual({ lost: 1, orphans: 1 });
    // What docs/faults.md says about commits: PostgreSQL's defaults, nothing turned off.
    expect(durability).toEqual(Array(SYSTEM_SERVICES.length).fill({ fsync: "on", full_page_writes: "on", synchronous_commit: "on" }));
  }, 420_000); // 3.3 min measured with the machine shared (load average near 20 on 2 cores)
});
