import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { waitUntil } from "./ports.js";

/** A NATS account user and the subjects it may publish and subscribe to. */
export interface NatsUser {
  user: string;
  password: string;
  publish: string[];
  subscribe: string[];
  /** Subjects refused even though `publish` allows them. */
  publishDeny?: string[];
}

export interface NatsOptions {
  /** Holds the generated config and the JetStream store; reused across runs. */
  dir: string;
  port: number;
  monitorPort: number;
  /** Without users the server accepts anyone on loopback (tests); with users, only them. */
  users?: NatsUser[];
  /** Client TLS (tests of TLS settings): the server's certificate and key, and with `caFile` client certificates are required. */
  tls?: { certFile: string; keyFile: string; caFile?: string };
  log?: (line: string) => void;
}

export interface NatsServer {
  readonly url: string;
  readonly pid: number;
  /** Graceful stop (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** kill -9, for fault tests: nothing is flushed. */
  kill(): Promise<void>;
}

export const NATS_INSTALL_HINT =
  "nats-server was not found on the PATH. On Debian or Ubuntu: `apt-get install -y nats-server`; " +
  "elsewhere see https://docs.nats.io/running-a-nats-service/introduction/installation " +
  "(or set NATS_URL to a running server with JetStream).";

export function natsServerAvailable(): boolean {
  return spawnSync("nats-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/** The nats-server config: JetStream on file storage, loopback only. */
export function natsConfig(options: NatsOptions): string {
  const lines = [
    `listen: "127.0.0.1:${options.port}"`,
    `http: "127.0.0.1:${options.monitorPort}"`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(join(options.dir, "jetstream"))}`,
    // JetStream fsyncs its files every 2 minutes (NATS's default; Debian's 2.9
    // has no sync_interval setting). Acked messages can be lost on power loss,
    // never on a process crash; the auth outbox keeps sent rows to republish.
    `}`,
  ];
  if (options.tls) {
    const { certFile, keyFile, caFile } = options.tls;
    lines.push("tls {", `  cert_file: ${JSON.stringify(certFile)}`, `  key_file: ${JSON.stringify(keyFile)}`);
    if (caFile) lines.push(`  ca_file: ${JSON.stringify(caFile)}`, "  verify: true");
    lines.push("}");
  }
  if (options.users?.length) {
    lines.push("authorization {", "  users: [");
    for (const u of options.users) {
      lines.push(
        `    { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}, permissions: {`,
        `        publish: { allow: ${JSON.stringify(u.publish)}${u.publishDeny?.length ? `, deny: ${JSON.stringify(u.publishDeny)}` : ""} }`,
        `        subscribe: { allow: ${JSON.stringify(u.subscribe)} } } }`,
      );
    }
    lines.push("  ]", "}");
  }
  return `${lines.join("\n")}\n`;
}

/** Starts nats-server (from the PATH) with JetStream, waits until JetStream is ready. */
export async function startNats(options: NatsOptions): Promise<NatsServer> {
  if (!natsServerAvailable()) throw new Error(NATS_INSTALL_HINT);
  await mkdir(options.dir, { recursive: true });
  const configFile = join(options.dir, "nats-server.conf");
  // It holds the users' passwords: owner-only.
  await writeFile(configFile, natsConfig(options), { mode: 0o600 });
  await chmod(configFile, 0o600);
  const log = options.log ?? (() => {});

  const child = spawn("nats-server", ["-c", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  let recentOutput = "";
  const onOutput = (chunk: Buffer) => {
    recentOutput = (recentOutput + chunk.toString()).slice(-2_000);
    log(chunk.toString().trimEnd());
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  try {
    await waitUntil("nats-server", async () => {
      if (child.exitCode !== null) return false;
      const res = await fetch(`http://127.0.0.1:${options.monitorPort}/healthz?js-enabled-only=true`);
      return res.ok;
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}; its output:\n${recentOutput}`);
  }
  return {
    url: `nats://127.0.0.1:${options.port}`,
    pid: child.pid ?? -1,
    stop: () => stopChild(child, exited, "SIGTERM"),
    kill: () => stopChild(child, exited, "SIGKILL"),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
