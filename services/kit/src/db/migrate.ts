import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { postgresClient } from "./database.js";

/**
 * Applies a service's committed Drizzle migrations. A session-level advisory
 * lock (keyed by the service name) makes instances that start together, or
 * Kubernetes Jobs that overlap, run them one at a time; drizzle's journal
 * makes a second run a no-op.
 */
export async function runMigrations(url: string, migrationsFolder: string, service: string): Promise<void> {
  const sql = postgresClient(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(hashtext(${`migrations:${service}`}))`;
    try {
      await migrate(drizzle(sql), { migrationsFolder, migrationsSchema: "drizzle" });
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${`migrations:${service}`}))`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
