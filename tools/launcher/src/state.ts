import { existsSync, readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceName } from "@acme/devstack";

/**
 * What a running launcher started, in DEVSTACK_DIR/launcher.json: the demo
 * reads the URLs from it, tests read the PIDs, and a second launcher sees
 * that one already runs. Removed on a clean stop.
 */
export interface LauncherState {
  /** The process that owns everything below. */
  pid: number;
  /** Where to send SIGTERM or SIGINT: `npm start`'s process (the wrapper of `pid`), else `pid`. */
  stopPid: number;
  startedAt: string;
  /** All services answered /readyz. */
  ready: boolean;
  postgres?: { pid: number; port: number };
  nats?: { pid: number; url: string; monitorUrl: string };
  /** The development mail sink, when the launcher runs it (in its own process). */
  mailSink?: { port: number; dir: string };
  /** Written as each one is spawned, so a launcher killed mid-start leaves a trail. */
  services: Partial<Record<ServiceName, { pid: number; url: string; adminUrl?: string }>>;
  /** The console (tools/console), started before the services so their first spans reach it. */
  console?: { pid: number; url: string };
}

export const stateFile = (dir: string) => join(dir, "launcher.json");

export async function writeState(dir: string, state: LauncherState): Promise<void> {
  await writeFile(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
}

export async function removeState(dir: string): Promise<void> {
  await rm(stateFile(dir), { force: true });
}

export function readState(dir: string): LauncherState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LauncherState;
  } catch {
    return undefined;
  }
}

/** Whether the process exists and is not a zombie (exited, not yet reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}
