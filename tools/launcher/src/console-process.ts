import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { buildConsole, CONSOLE_NODE_FLAGS } from "@acme/console/build";
import { REPO_ROOT } from "./settings.js";

export interface ConsoleProcess {
  readonly pid: number;
  readonly url: string;
  readonly exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

/**
 * The console (tools/console) as a process of its own: `node dist/main.mjs`,
 * reading the system through DEVSTACK_DIR's launcher.json and credentials.json
 * like `npm run console` does. Resolves once it answers /healthz.
 */
export async function startConsoleProcess(options: { port: number; dir: string; onLine: (line: string) => void }): Promise<ConsoleProcess> {
  await buildConsole({ onlyIfStale: true });
  const env: NodeJS.ProcessEnv = { ...process.env, CONSOLE_PORT: String(options.port), DEVSTACK_DIR: options.dir };
  delete env.NODE_CHANNEL_FD;
  delete env.NODE_CHANNEL_SERIALIZATION_MODE;
  const child = spawn(process.execPath, [...CONSOLE_NODE_FLAGS, "--enable-source-maps", "dist/main.mjs"], {
    cwd: join(REPO_ROOT, "tools/console"),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream, crlfDelay: Infinity }).on("line", options.onLine);
  let ended: number | string | undefined;
  void exited.then((code) => (ended = code));
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (ended !== undefined) throw new Error(`the console exited (${ended}) before it answered; its log is above`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the console did not answer on ${url} within 60 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid ?? -1,
    url,
    exited,
    async stop() {
      if (ended !== undefined) return ended;
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}
