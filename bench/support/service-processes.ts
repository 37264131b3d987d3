import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "@acme/devstack";
import { DEFAULT_SERVICE_NODE_FLAGS } from "@acme/launcher/settings";
import { AUTH_THREADPOOL_SIZE } from "@acme/launcher/service-env";
import { cpuProfileFlags } from "./infra.js";

/** A service's entry point, relative to the repository root. */
export const SERVICE_MAIN = {
  auth: "services/auth/src/main.ts",
  profile: "services/profile/src/main.ts",
  billing: "services/billing/src/main.ts",
  /** auth with a constant-cost password hash in place of argon2id (P4). */
  authWithStubHasher: "bench/support/auth-with-stub-hasher.ts",
} as const;

export interface ServiceProcess {
  child: ChildProcess;
  adminPort: number;
}

/**
 * The services of one benchmark, each in a process of its own as `npm start`
 * and deploy run them (the launcher's Node flags, or SERVICE_NODE_FLAGS as
 * for the launcher; auth with its two hashing threads), all stopped together (SIGTERM, then their exit awaited).
 * `BENCH_CPU_PROF_DIR` gives each a CPU profile.
 */
export class ServiceProcesses {
  private readonly children: ChildProcess[] = [];

  /** `common` goes to every process (NATS_URL, ...), under each one's own settings. */
  constructor(private readonly common: Record<string, string>) {}

  async start(main: string, env: Record<string, string>, stdio: "inherit" | "ignore" = "inherit"): Promise<ServiceProcess> {
    const adminPort = await freePort();
    const entry = fileURLToPath(new URL(`../../${main}`, import.meta.url));
    const child = spawn(process.execPath, [...serviceNodeFlags(), ...cpuProfileFlags(), "--import", "tsx", entry], {
      env: { ...process.env, LOG_LEVEL: "warn", ADMIN_PORT: String(adminPort), ...threadPool(main), ...this.common, ...env },
      stdio: ["ignore", stdio, "inherit"],
    });
    this.children.push(child);
    return { child, adminPort };
  }

  /** SIGTERM to every process still running; SIGKILL to any still there after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const running = this.children.filter((c) => c.exitCode === null && c.signalCode === null);
    const exited = running.map((c) => new Promise((resolve) => c.once("exit", resolve)));
    for (const child of running) child.kill("SIGTERM");
    const killer = setTimeout(() => {
      for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }, graceMs);
    await Promise.all(exited);
    clearTimeout(killer);
  }
}

/** auth's hashing threads, as the launcher gives them; the other services keep libuv's default. */
function threadPool(main: string): Record<string, string> {
  return main === SERVICE_MAIN.auth || main === SERVICE_MAIN.authWithStubHasher ? { UV_THREADPOOL_SIZE: AUTH_THREADPOOL_SIZE } : {};
}

/** The launcher's rule: SERVICE_NODE_FLAGS when set (even empty), else its defaults. */
function serviceNodeFlags(): string[] {
  const flags = process.env.SERVICE_NODE_FLAGS;
  return flags === undefined ? DEFAULT_SERVICE_NODE_FLAGS : flags.split(/\s+/).filter(Boolean);
}
