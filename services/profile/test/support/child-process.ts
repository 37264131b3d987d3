import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, waitUntil } from "@acme/devstack";

export interface ChildService {
  readonly pid: number;
  readonly port: number;
  readonly adminPort: number;
  readonly exited: Promise<number | null>;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
  metric(name: string): Promise<number>;
}

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Runs `script` (repo-relative) as its own process with `env`, like a pod; resolves once /readyz says ready. */
export async function startChild(script: string, env: Record<string, string>, options: { waitReady?: boolean } = {}): Promise<ChildService> {
  const port = await freePort();
  const adminPort = await freePort();
  // node --import tsx, not npx tsx: killing npx's pid would leave the service running.
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), ADMIN_PORT: String(adminPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // /readyz and /metrics are on the admin port.
  const base = `http://127.0.0.1:${adminPort}`;
  if (options.waitReady !== false) {
    await waitUntil(
      `${script} on :${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`exited early:\n${output}`);
        return (await fetch(`${base}/readyz`)).ok;
      },
      30_000,
    );
  }
  return {
    pid: child.pid ?? -1,
    port,
    adminPort,
    exited,
    output: () => output,
    async kill(signal) {
      child.kill(signal);
      return exited;
    },
    async metric(name) {
      const text = await (await fetch(`${base}/metrics`)).text();
      let total = 0;
      for (const line of text.split("\n")) if (line.startsWith(name)) total += Number(line.split(" ").pop());
      return total;
    },
  };
}
