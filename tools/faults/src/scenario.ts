import { isAlive } from "@acme/launcher/state";
import type { Fault, FaultContext } from "./faults.js";
import { checkInvariant, consumerOrphans, type Verdict } from "./invariant.js";
import { Ledger, startLoad } from "./load.js";
import { checkMails, type MailVerdict } from "./mail-invariant.js";
import { busyReport, outboxMark, recoveryTime, waitForQuiet } from "./quiet.js";
import { STREAM, type FaultSystem, SYSTEM_SERVICES } from "./system.js";

export interface ScenarioOptions {
  /** How long the load runs at least. */
  loadMs: number;
  opsPerSecond: number;
  /** The runner's random moment for faults that do not fire by themselves: [min, max] ms after the load starts. */
  injectWindowMs: [number, number];
  /** The load goes on at least this long after the heal. */
  tailMs: number;
  ackWaitMs: number;
  /** Emails carry it, so runs never collide. */
  tag: string;
}

export interface ScenarioResult {
  fault: Fault;
  /** Every write of the scenario and its outcome. */
  ledger: Ledger;
  /** The outbox id before the scenario: its events are those after it. */
  floor: number;
  verdict?: Verdict;
  /** Every committed write as exactly one Message-ID per template in the mail sink. */
  mail?: MailVerdict;
  /** Heal -> every event written before the heal is in both inboxes. */
  recoveryMs?: number;
  /** Stream messages beyond the scenario's events: republishes JetStream did not drop (the inboxes did). */
  republished: number;
  /** Inbox entries or rows auth's outbox does not explain, added during this scenario. */
  orphans: number;
  quiet: boolean;
  notes: string[];
  /** Broken expectations and errors: any makes the scenario fail. */
  failures: string[];
  seconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

export function passed(result: ScenarioResult): boolean {
  const v = result.verdict;
  const m = result.mail;
  return (
    !!v &&
    !!m &&
    result.quiet &&
    result.failures.length === 0 &&
    v.lost === 0 &&
    v.duplicated === 0 &&
    v.unexpected === 0 &&
    result.orphans === 0 &&
    m.lost === 0 &&
    m.unexpected === 0
  );
}

/**
 * One fault under load: the system back to its usual settings, the fault
 * armed, steady writes, the fault at a random moment, held, healed; the
 * load goes on, then the runner waits for quiet and checks the invariant
 * over this scenario's writes.
 */
export async function runScenario(system: FaultSystem, fault: Fault, options: ScenarioOptions, orphansBefore: number): Promise<ScenarioResult> {
  const started = Date.now();
  const ledger = new Ledger();
  const result: ScenarioResult = { fault, ledger, floor: 0, republished: 0, orphans: 0, quiet: false, notes: [], failures: [], seconds: 0 };
  const ctx: FaultContext = {
    system,
    note: (text) => result.notes.push(text),
    fail: (text) => result.failures.push(text),
    random,
    ackWaitMs: options.ackWaitMs,
    start: { floor: 0, lastSeq: 0 },
  };
  await reviveAndReset(system);
  await fault.arm?.(ctx);
  const floor = await outboxMark(system);
  result.floor = floor;
  const jsm = await system.jsm();
  const seqBefore = (await jsm.streams.info(STREAM)).state.last_seq;
  ctx.start = { floor, lastSeq: seqBefore };
  const load = startLoad({ authUrl: system.url("auth"), opsPerSecond: options.opsPerSecond, tag: options.tag }, ledger);
  const loadStarted = Date.now();
  let recovery: Promise<number | undefined> = Promise.resolve(undefined);
  try {
    if (!fault.firesItself) await sleep(random(...options.injectWindowMs));
    await fault.inject(ctx);
    await sleep(fault.holdMs(ctx));
    await fault.whileHeld?.(ctx);
    await fault.heal(ctx);
    const healedAt = Date.now();
    const mark = await outboxMark(system);
    recovery = recoveryTime(system, floor, mark, healedAt);
    await sleep(Math.max(options.tailMs, loadStarted + options.loadMs - Date.now()));
  } catch (error) {
    result.failures.push(`fault ${fault.id}: ${(error as Error).message}`);
  } finally {
    await load.stop();
  }
  result.recoveryMs = await recovery;
  if (result.failures.length) await reviveAndReset(system);
  result.quiet = await waitForQuiet(system, floor);
  if (!result.quiet) {
    result.failures.push(`not quiet within 90 s: ${await busyReport(system)}`);
    for (const [source, lines] of system.recentLines) result.failures.push(`last lines of ${source}:\n    ${lines.slice(-8).join("\n    ")}`);
  }
  result.verdict = await checkInvariant(system, ledger, floor);
  result.mail = await checkMails(system, floor);
  const unknown = ledger.users.flatMap((u) => u.writes.filter((w) => w.outcome === "unknown").map((w) => w.error ?? "?"));
  if (unknown.length) result.notes.push(`unknown outcomes: ${summarize(unknown)}`);
  const refused = ledger.users.flatMap((u) => u.writes.filter((w) => w.outcome === "refused").map((w) => w.error ?? "?"));
  if (refused.length) result.notes.push(`refused: ${summarize(refused)}`);
  result.republished = (await (await system.jsm()).streams.info(STREAM)).state.last_seq - seqBefore - result.verdict.events;
  result.orphans = (await consumerOrphans(system)).count - orphansBefore;
  fault.expect?.(ctx, { republished: result.republished, mailCopies: result.mail.copies });
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/** Every server and process up, each process with its usual environment (no FAULT_*, no special stream settings). */
async function reviveAndReset(system: FaultSystem): Promise<void> {
  for (const name of system.names) {
    // A process left frozen by a failed scenario.
    try {
      system.resume(name);
    } catch {
      // gone
    }
  }
  const starts: Promise<void>[] = [];
  for (const service of SYSTEM_SERVICES) {
    let up = false;
    try {
      up = isAlive(system.postgresPid(service));
    } catch {
      up = false;
    }
    if (!up) starts.push(system.startPostgres(service));
  }
  if (!isAlive(system.nats.pid)) starts.push(system.startNats());
  if (!system.sinkPid || !isAlive(system.sinkPid)) starts.push(system.startSink());
  await Promise.all(starts);
  await Promise.all(
    system.names.map(async (name) => {
      const child = system.processes.get(name);
      if (!child || !isAlive(child.pid)) await system.spawn(name);
      else if (Object.keys(system.extraEnv(name)).length) await system.restart(name);
    }),
  );
}

/** "Unavailable 12, ECONNRESET 3" */
function summarize(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v} ${n}`).join(", ");
}
