import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildService, type ServiceName } from "@acme/build";
import { freePort } from "@acme/devstack";
import { AUTH_THREADPOOL_SIZE } from "@acme/launcher/service-env";
import { DEFAULT_SERVICE_NODE_FLAGS } from "@acme/launcher/settings";
import { cpuProfileFlags } from "./infra.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * What a benchmark starts: a service, bundled and run as `npm start` runs it
 * (`node dist/main.mjs` in its folder), or a script of bench/ run through tsx.
 */
export type ServiceTarget = ServiceName | BenchScript;
type BenchScript = `bench/${string}.ts`;

/** auth with a constant-cost password hash in place of argon2id (P4). */
export const AUTH_WITH_STUB_HASHER: BenchScript = "bench/support/auth-with-stub-hasher.ts";

export interface ServiceProcess {
  child: ChildProcess;
  adminPort: number;
}

/**
 * The services of one benchmark, each in a process of its own as `npm start`
 * and deploy run them (the bundle, the launcher's Node flags or
 * SERVICE_NODE_FLAGS as for the launcher, auth with its two hashing
 * threads), all stopped together. `BENCH_CPU_PROF_DIR` gives each a CPU
 * profile.
 */
export class ServiceProcesses {
  private readonly children: ChildProcess[] = [];
  private readonly builds = new Map<ServiceName, Promise<string>>();

  /** `common` goes to every process (NATS_URL, ...), under each one's own settings. */
  constructor(private readonly common: Record<string, string>) {}

  async start(target: ServiceTarget, env: Record<string, string>, stdio: "inherit" | "ignore" = "inherit"): Promise<ServiceProcess> {
    const adminPort = await freePort();
    const flags = [...serviceNodeFlags(), ...cpuProfileFlags()];
    const { args, cwd } = isBenchScript(target)
      ? { args: [...flags, "--import", "tsx", join(REPO_ROOT, target)], cwd: REPO_ROOT }
      : { args: [...flags, "--enable-source-maps", "dist/main.mjs"], cwd: await this.built(target) };
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, LOG_LEVEL: "warn", ADMIN_PORT: String(adminPort), ...threadPool(target), ...this.common, ...env },
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

  /** The service's folder, once its bundle is built (once per benchmark). */
  private async built(service: ServiceName): Promise<string> {
    if (!this.builds.has(service)) this.builds.set(service, buildService(service));
    await this.builds.get(service);
    return join(REPO_ROOT, "services", service);
  }
}

function isBenchScript(target: ServiceTarget): target is BenchScript {
  return target.startsWith("bench/");
}

/** The launcher's rule: SERVICE_NODE_FLAGS when set (even empty), else its defaults. */
function serviceNodeFlags(): string[] {
  const flags = process.env.SERVICE_NODE_FLAGS;
  return flags === undefined ? DEFAULT_SERVICE_NODE_FLAGS : flags.split(/\s+/).filter(Boolean);
}

/** auth's hashing threads, as the launcher gives them; the other services keep libuv's default. */
function threadPool(target: ServiceTarget): Record<string, string> {
  return target === "auth" || target === AUTH_WITH_STUB_HASHER ? { UV_THREADPOOL_SIZE: AUTH_THREADPOOL_SIZE } : {};
}
