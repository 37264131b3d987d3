import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { freePort, waitUntil } from "@acme/devstack";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface AuthProcess {
  readonly child: ChildProcess;
  readonly client: Client<typeof AuthService>;
  readonly baseUrl: string;
  /** Log lines (parsed JSON) printed so far. */
  readonly logs: Array<{ msg?: string; time?: number }>;
  isRelaying(): boolean;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** auth as a real OS process (`node --import tsx src/main.ts`), for tests that kill it. */
export async function spawnAuth(env: Record<string, string>): Promise<AuthProcess> {
  const port = await freePort();
  const adminPort = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, ...env, PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const logs: Array<{ msg?: string; time?: number }> = [];
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) logs.push(JSON.parse(line) as { msg?: string });
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntil("auth process", async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok, 30_000);
  let relaying = false;
  return {
    child,
    baseUrl,
    logs,
    client: createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" })),
    isRelaying() {
      for (const entry of logs) {
        if (entry.msg?.includes("now publishing the outbox")) relaying = true;
        if (entry.msg?.includes("standing by") || entry.msg?.includes("stepping down")) relaying = false;
      }
      return relaying;
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
