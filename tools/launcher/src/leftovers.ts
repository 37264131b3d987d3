import { readFileSync } from "node:fs";
import { isAlive, readState, removeState } from "./state.js";

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/**
 * Before starting: refuses when a launcher already runs on this data, and
 * stops what a launcher that was killed outright (kill -9) left running.
 * A recorded PID is signalled only while its command line still looks like
 * what was started there (PIDs get reused).
 */
export async function handlePreviousRun(dir: string, log: (line: string) => void): Promise<void> {
  const previous = readState(dir);
  if (!previous) return;
  if (previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new Error(
      `the system already runs on ${dir} (launcher pid ${previous.pid}). Stop it first (Ctrl-C in its terminal, or kill ${previous.pid}), or use another DEVSTACK_DIR and ports.`,
    );
  }
  const candidates = [
    ...Object.entries(previous.services).map(([name, s]) => ({ name, pid: s!.pid, looksLike: "dist/main.mjs" })),
    ...(previous.console ? [{ name: "console", pid: previous.console.pid, looksLike: "dist/main.mjs" }] : []),
    ...(previous.nats ? [{ name: "nats-server", pid: previous.nats.pid, looksLike: "nats-server" }] : []),
    ...(previous.postgres ? [{ name: "postgres", pid: previous.postgres.pid, looksLike: "postgres" }] : []),
  ];
  const left = candidates.filter((c) => isAlive(c.pid) && commandLine(c.pid).includes(c.looksLike));
  if (left.length) {
    log(`a previous launcher (pid ${previous.pid}) ended without stopping; stopping what it left: ${left.map((c) => `${c.name} (pid ${c.pid})`).join(", ")}`);
    // Services first, then NATS, then PostgreSQL, as a normal stop would.
    for (const c of left) {
      process.kill(c.pid, "SIGTERM");
      const deadline = Date.now() + 20_000;
      while (isAlive(c.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      if (isAlive(c.pid)) process.kill(c.pid, "SIGKILL");
    }
  }
  await removeState(dir);
}
