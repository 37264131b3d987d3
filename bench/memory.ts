/**
 * P8: each service's resident memory as `npm start` runs it (bundled, its
 * own process, the launcher's Node flags): idle 30 s after start, and the
 * peak (VmHWM) under the launcher's load (registrations + logins, then
 * owner reads: the P1 and P6 paths). The ratios are MB over the targets,
 * 80 MB idle and 150 MB peak.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@acme/devstack";
import { processMemory } from "../tools/launcher/src/memory.js";
import { LAUNCHER_PORT_VARIABLES, REPO_ROOT } from "../tools/launcher/src/settings.js";
import { isAlive, readState, type LauncherState } from "../tools/launcher/src/state.js";
import { recordFigure } from "./report/results.js";

const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const LOAD_USERS = Number(process.env.BENCH_LOAD_USERS ?? 300);
const LOAD_READS = Number(process.env.BENCH_LOAD_READS ?? 12_000);
const IDLE_TARGET_MB = 80;
const PEAK_TARGET_MB = 150;
const SERVICES = ["auth", "profile", "billing", "notifications"] as const;

const dir = await mkdtemp(join(tmpdir(), "acme-bench-memory-"));
await chmod(dir, 0o755);
// Every port the launcher opens, each moved to a free one so a running `npm start` is left alone.
const ports = Object.fromEntries(await Promise.all(LAUNCHER_PORT_VARIABLES.map(async (name) => [name, String(await freePort())] as const)));
// The load registers and logs in from one address: lift the per-address limits, as P1 does.
const env = {
  ...process.env,
  ...ports,
  DEVSTACK_DIR: dir,
  LOG_LEVEL: "warn",
  NO_COLOR: "1",
  REGISTER_CLIENT_ATTEMPTS: "1000000",
  LOGIN_CLIENT_ATTEMPTS: "1000000",
};
const launcher = spawn(process.execPath, ["--import", "tsx", "tools/launcher/src/start.ts"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
let output = "";
launcher.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
launcher.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
const exited = new Promise<void>((resolve) => launcher.once("exit", () => resolve()));

try {
  const state = await ready();
  console.log(`system up; waiting ${IDLE_SECONDS} s idle`);
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const idle = Object.fromEntries(SERVICES.map((s) => [s, processMemory(state.services[s]!.pid)?.rssMb ?? Number.NaN]));
  console.log(`idle: ${SERVICES.map((s) => `${s} ${idle[s]} MB`).join(", ")}`);

  const load = spawnSync(process.execPath, ["--import", "tsx", "tools/launcher/src/load.ts", String(LOAD_USERS), String(LOAD_READS)], {
    cwd: REPO_ROOT,
    env,
    stdio: "inherit",
  });
  if (load.status !== 0) throw new Error(`the load failed (exit ${load.status})`);
  for (const s of SERVICES) {
    const memory = processMemory(state.services[s]!.pid);
    recordFigure(`P8.${s}.idle`, idle[s]!, IDLE_TARGET_MB);
    recordFigure(`P8.${s}.peak`, memory?.peakMb ?? Number.NaN, PEAK_TARGET_MB, `under ${LOAD_USERS} registrations + logins and ${LOAD_READS} reads`);
  }
} finally {
  const state = readState(dir);
  if (state && isAlive(state.stopPid)) process.kill(state.stopPid, "SIGTERM");
  else launcher.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  if (launcher.exitCode === null) launcher.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
}

async function ready(): Promise<LauncherState> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const state = readState(dir);
    if (state?.ready) return state;
    if (launcher.exitCode !== null || Date.now() > deadline) throw new Error(`the launcher did not come up:\n${output.slice(-3_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
