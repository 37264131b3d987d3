import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * `npm start`. Runs the launcher in a process group of its own, so that
 * Ctrl-C reaches only this process and not PostgreSQL, nats-server and the
 * services directly (the terminal signals its whole foreground group, which
 * would stop them all at once, in no order). This process turns the first
 * Ctrl-C or SIGTERM into an orderly stop; a second Ctrl-C (a second later or
 * more) kills the whole group. If this process dies, the launcher notices
 * (its IPC channel closes) and stops everything itself.
 */
const launcher = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./launcher.ts", import.meta.url))], {
  stdio: ["ignore", "inherit", "inherit", "ipc"],
  detached: true,
  env: process.env,
});

let firstSignalAt = 0;
function onSignal(signal: NodeJS.Signals) {
  const now = Date.now();
  if (!firstSignalAt) {
    firstSignalAt = now;
    launcher.kill("SIGTERM");
    if (signal === "SIGINT") process.stdout.write("\nstopping everything (Ctrl-C again to force)\n");
    // `npm start` forwards the terminal's SIGINT, so one Ctrl-C can arrive twice: ignore repeats within a second.
  } else if (now - firstSignalAt > 1_000 && launcher.pid) {
    process.stdout.write("forcing: killing every process of the launcher's group\n");
    try {
      process.kill(-launcher.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);

launcher.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
