import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import "./global-setup.js";

/** Names created by this process: the only databases the harness may drop. */
const createdDatabases = new Set<string>();
const TEST_DATABASE = /^test_[a-z0-9_]+$/;

function suffix(): string {
  return randomBytes(4).toString("hex");
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  readonly name: string;
  /** Superuser URL of this database only. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates a fresh database `test_<label>_<random>` for one test file. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `test_${label.toLowerCase().replace(/[^a-z0-9]+/g, "_")}_${suffix()}`;
  const admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  createdDatabases.add(name);
  return { name, url: withDatabase(inject("pgAdminUrl"), name), drop: () => dropTestDatabase(name) };
}

/**
 * Drops a database this harness created. Anything else is refused, so a test
 * pointed at a real server by mistake cannot destroy data it does not own.
 */
export async function dropTestDatabase(name: string): Promise<void> {
  if (!TEST_DATABASE.test(name) || !createdDatabases.has(name)) {
    throw new Error(`refusing to drop database "${name}": it was not created by this test harness`);
  }
  const admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    createdDatabases.delete(name);
  } finally {
    await admin.end();
  }
}

/** Stream and subject names private to one test file (JetStream has one namespace per server). */
export interface TestNamespace {
  /** e.g. AUTH_EVENTS_3FA2C1D0 */
  stream(base: string): string;
  /** e.g. t3fa2c1d0.auth.events */
  subjectPrefix(base: string): string;
  /** e.g. profile_3fa2c1d0 */
  name(base: string): string;
}

export function testNamespace(): TestNamespace {
  const id = suffix();
  return {
    stream: (base) => `${base}_${id}`.toUpperCase(),
    subjectPrefix: (base) => `t${id}.${base}`,
    name: (base) => `${base}_${id}`,
  };
}

export function natsUrl(): string {
  return inject("natsUrl");
}

export function pgAdminUrl(): string {
  return inject("pgAdminUrl");
}
