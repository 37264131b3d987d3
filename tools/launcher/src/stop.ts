import { join } from "node:path";
import { REPO_ROOT } from "./settings.js";
import { isAlive, readState } from "./state.js";

/** `npm run stop`: what Ctrl-C does, from another terminal (SIGTERM, then waits until all is down). */
const dir = process.env.DEVSTACK_DIR ?? join(REPO_ROOT, ".devstack");
const state = readState(dir);
if (!state || !isAlive(state.pid)) {
  console.log(`nothing runs on ${dir}`);
  process.exit(0);
}
const pids = [state.stopPid, state.pid, state.postgres?.pid, state.nats?.pid, ...Object.values(state.services).map((s) => s?.pid)].filter(
  (pid): pid is number => !!pid,
);
process.kill(state.stopPid, "SIGTERM");
process.stdout.write(`stopping the system on ${dir} (launcher pid ${state.pid})`);
const deadline = Date.now() + 60_000;
while (pids.some(isAlive)) {
  if (Date.now() > deadline) {
    console.log(`\nstill running after 60 s: ${pids.filter(isAlive).join(", ")}`);
    process.exit(1);
  }
  process.stdout.write(".");
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.log(" stopped");
