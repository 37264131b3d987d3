import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JetStreamManager } from "@nats-io/jetstream";
import { waitUntil } from "@acme/devstack";
import type { Fault } from "./faults.js";
import { CONSUMERS, consumerOrphans } from "./invariant.js";
import { runScenario, type ScenarioOptions, type ScenarioResult } from "./scenario.js";
import { FaultSystem, STREAM } from "./system.js";

export interface SuiteOptions {
  faults: Fault[];
  scenario: Omit<ScenarioOptions, "tag" | "ackWaitMs">;
  ackWaitMs?: number;
  profileInstances?: 1 | 2;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Each process's output, e.g. to show when something fails. */
  onLine?: (process: string, line: string) => void;
  /** Called with the system once it runs, so a caller can stop it on a signal. */
  onSystem?: (system: FaultSystem) => void;
  /** Runs after the scenarios, while the system still runs (tests look inside it). */
  inspect?: (system: FaultSystem, results: ScenarioResult[]) => Promise<void>;
}

/**
 * Starts the system in a temp dir (PostgreSQL x4, nats-server, auth,
 * profile x2, billing, notifications, the mail sink), runs each fault as a scenario, one after the other
 * on the same system, and stops everything it started, also on failure.
 */
export async function runFaultSuite(options: SuiteOptions): Promise<ScenarioResult[]> {
  const log = options.log ?? (() => {});
  const ackWaitMs = options.ackWaitMs ?? 4_000;
  const dir = await mkdtemp(join(tmpdir(), "acme-faults-"));
  // As root, PostgreSQL runs as user `postgres`, which must be able to enter it.
  await chmod(dir, 0o755);
  const started = Date.now();
  let system: FaultSystem | undefined;
  try {
    system = await FaultSystem.start({
      dir,
      ackWaitMs,
      ...(options.profileInstances ? { profileInstances: options.profileInstances } : {}),
      ...(options.onLine ? { onLine: options.onLine } : {}),
    });
    options.onSystem?.(system);
    const jsm = await system.jsm();
    await waitForDurables(system, jsm);
    log(`system up in ${((Date.now() - started) / 1000).toFixed(1)} s (${dir})`);
    const tag = Date.now().toString(36);
    let orphans = (await consumerOrphans(system)).count;
    const results: ScenarioResult[] = [];
    for (const [index, fault] of options.faults.entries()) {
      log(`${fault.id}: ${fault.title}`);
      const result = await runScenario(system, fault, { ...options.scenario, ackWaitMs, tag: `${tag}s${index}` }, orphans);
      orphans += result.orphans;
      const v = result.verdict;
      const m = result.mail;
      log(
        `  ${result.seconds.toFixed(0)} s: ${v?.okWrites} writes OK (${v?.unknownWrites} unknown), lost ${v?.lost}, duplicated ${v?.duplicated}, unexpected ${(v?.unexpected ?? 0) + result.orphans}` +
          `, mails ${m?.delivered}/${m?.expected} by Message-ID (lost ${m?.lost}, copies ${m?.copies}, skipped ${m?.skipped}, unexpected ${m?.unexpected})` +
          `, recovery ${result.recoveryMs === undefined ? "n/a" : `${(result.recoveryMs / 1000).toFixed(1)} s`}${result.notes.length ? `; ${result.notes.join("; ")}` : ""}` +
          `${result.failures.length ? `; FAILED: ${result.failures.join("; ")}` : ""}`,
      );
      results.push(result);
    }
    await options.inspect?.(system, results);
    return results;
  } finally {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The consumers retry, with backoff up to 10 s apart, until auth has declared
 * the stream; their durables exist once they consume. The same minute as a
 * process's start is given; on time out the error names the durables missing
 * and what their processes last said, so a slow start can be told from a broken one.
 */
async function waitForDurables(system: FaultSystem, jsm: JetStreamManager, timeoutMs = 60_000): Promise<void> {
  const missingDurables = async () => {
    const present = await Promise.all(
      CONSUMERS.map((durable) =>
        jsm.consumers.info(STREAM, durable).then(
          () => true,
          () => false,
        ),
      ),
    );
    return CONSUMERS.filter((_, i) => !present[i]);
  };
  try {
    await waitUntil("every durable consumer", async () => (await missingDurables()).length === 0, timeoutMs);
  } catch {
    const missing = await missingDurables();
    const said = missing.map((durable) => {
      const lines = [...system.recentLines]
        .filter(([source]) => source.startsWith(durable))
        .flatMap(([source, lines]) => lines.slice(-3).map((l) => `${source}: ${l}`));
      return `${durable}:\n  ${lines.join("\n  ") || "(nothing logged)"}`;
    });
    throw new Error(`durable consumers ${missing.join(", ")} did not appear within ${timeoutMs} ms of the services' start; last lines:\n${said.join("\n")}`);
  }
}
