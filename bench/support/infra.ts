import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freePort, startNats, startPostgres, type NatsServer, type PostgresServer } from "@acme/devstack";

export interface BenchInfra {
  pg: PostgresServer;
  nats: NatsServer;
  /** A fresh database on the bench server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Real PostgreSQL and nats-server for one benchmark run, in a temp folder removed afterwards. */
export async function startBenchInfra(postgresSettings?: Record<string, string>): Promise<BenchInfra> {
  const dir = await mkdtemp(join(tmpdir(), "acme-bench-"));
  await chmod(dir, 0o755);
  const pg = await startPostgres({ dataDir: join(dir, "pg"), port: await freePort(), ...(postgresSettings ? { settings: postgresSettings } : {}) });
  const nats = await startNats({ dir: join(dir, "nats"), port: await freePort(), monitorPort: await freePort() });
  return {
    pg,
    nats,
    async createDatabase(name) {
      const admin = postgres(pg.adminUrl(), { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database "${name}"`);
      await admin.end();
      return pg.adminUrl(name);
    },
    async stop() {
      await nats.stop();
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `count` calls of `task`, `concurrency` at a time; returns calls per second. */
export async function rate(count: number, concurrency: number, task: (n: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}

/** One result line: what was measured, against what, and the ratio with its target. */
export function report(name: string, measured: number, baseline: number, unit: string, target?: number): void {
  const ratio = measured / baseline;
  const verdict = target === undefined ? "" : ratio >= target ? `  (target >= ${target * 100}%: met)` : `  (target >= ${target * 100}%: NOT met)`;
  console.log(`${name}: ${measured.toFixed(0)} ${unit} vs baseline ${baseline.toFixed(0)} ${unit} = ${(ratio * 100).toFixed(1)}%${verdict}`);
}

/**
 * Node flags for a service process a benchmark starts: with
 * BENCH_CPU_PROF_DIR set (e.g. reports/profiles/p4), the process writes a
 * CPU profile there when it stops.
 */
export function cpuProfileFlags(): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}
