import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ServiceName } from "@acme/devstack";
import { REPO_ROOT } from "./settings.js";

/** How many of a process's last log lines its start-up error carries. */
const LINES_IN_ERROR = 12;

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly pid: number;
  readonly url: string;
  /** The admin port's URL: /readyz, /metrics, the admin RPCs. */
  readonly adminUrl: string;
  /** Resolves with the exit code (or signal name) whenever the process ends. */
  readonly exited: Promise<number | string>;
  /** Resolves when /readyz (admin port) says 200; rejects if the process ends first or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  /** SIGTERM (the service finishes in-flight work and closes), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

/**
 * Runs the service's bundled entry point (`node dist/main.mjs`, built from
 * src/main.ts by @acme/build) in the service's folder, as a process (no npx:
 * its PID is the service's PID, so a signal reaches it). The launcher knows
 * its environment variables, not its code.
 */
export function spawnService(options: {
  name: ServiceName;
  port: number;
  /** Where the service's admin port listens (it must be in `env` as ADMIN_PORT too). */
  adminPort: number;
  env: Record<string, string>;
  /** e.g. --max-semi-space-size=2. */
  nodeFlags?: string[];
  onLine: (line: string) => void;
}): ServiceProcess {
  const env = { ...process.env, ...options.env };
  // The launcher's own IPC channel is not the service's.
  delete env.NODE_CHANNEL_FD;
  delete env.NODE_CHANNEL_SERIALIZATION_MODE;
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), "--enable-source-maps", "dist/main.mjs"], {
    cwd: join(REPO_ROOT, "services", options.name),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
    child.once("error", (error) => {
      options.onLine(`could not start: ${error.message}`);
      resolve("spawn failed");
    });
  });
  // The last lines go into the error of a process that ends before it is
  // ready: a CI log shows its tail, and the whole log may be cut off above.
  const lastLines: string[] = [];
  const onLine = (line: string) => {
    lastLines.push(line);
    if (lastLines.length > LINES_IN_ERROR) lastLines.shift();
    options.onLine(line);
  };
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLine);

  const url = `http://127.0.0.1:${options.port}`;
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  let ended: number | string | undefined;
  void exited.then((code) => (ended = code));

  return {
    name: options.name,
    pid: child.pid ?? -1,
    url,
    adminUrl,
    exited,
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (ended !== undefined) {
          throw new Error(`${options.name} exited (${ended}) before it was ready; its last lines:\n${lastLines.join("\n")}`);
        }
        const ok = await fetch(`${adminUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
          (res) => res.ok,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`${options.name} was not ready after ${timeoutMs} ms (${adminUrl}/readyz)`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(graceMs = 25_000) {
      if (ended !== undefined) return ended;
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}
