import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort, startNats, startPostgres } from "@acme/devstack";

/**
 * Starts one real PostgreSQL and one real nats-server (JetStream) for the
 * whole test run, as child processes on loopback, unless TEST_PG_ADMIN_URL
 * and TEST_NATS_URL point at servers that already run. Test files isolate
 * themselves inside them (harness.ts): their own databases, streams, subjects.
 */
export default async function setup(project: TestProject) {
  const external = process.env.TEST_PG_ADMIN_URL && process.env.TEST_NATS_URL;
  if (external) {
    project.provide("pgAdminUrl", process.env.TEST_PG_ADMIN_URL!);
    project.provide("natsUrl", process.env.TEST_NATS_URL!);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "acme-test-servers-"));
  // As root, PostgreSQL runs as user `postgres`, which must be able to enter this folder.
  await chmod(dir, 0o755);
  const started = Date.now();
  const [pgStart, natsStart] = await Promise.allSettled([
    startPostgres({ dataDir: join(dir, "postgres"), port: await freePort() }),
    startNats({ dir: join(dir, "nats"), port: await freePort(), monitorPort: await freePort() }),
  ]);
  if (pgStart.status === "rejected" || natsStart.status === "rejected") {
    if (pgStart.status === "fulfilled") await pgStart.value.stop();
    if (natsStart.status === "fulfilled") await natsStart.value.stop();
    throw pgStart.status === "rejected" ? pgStart.reason : (natsStart as PromiseRejectedResult).reason;
  }
  const [pg, nats] = [pgStart.value, natsStart.value];
  console.log(`test servers up in ${Date.now() - started} ms: PostgreSQL :${pg.port}, ${nats.url}`);
  project.provide("pgAdminUrl", pg.adminUrl());
  project.provide("natsUrl", nats.url);

  return async () => {
    await Promise.allSettled([nats.stop(), pg.stop()]);
    await rm(dir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the test PostgreSQL; use harness.createTestDatabase, not this. */
    pgAdminUrl: string;
    /** URL of the test nats-server (JetStream, no auth). */
    natsUrl: string;
  }
}
