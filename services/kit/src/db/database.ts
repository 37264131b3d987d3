import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres, { type Sql } from "postgres";

export interface Database<TSchema extends Record<string, unknown>> {
  sql: Sql;
  db: PostgresJsDatabase<TSchema>;
  close(): Promise<void>;
}

/**
 * One postgres.js pool per service process. Connections are opened lazily
 * and re-opened after a database restart, so the process survives Postgres
 * going away (its RPCs answer `unavailable` meanwhile).
 */
export function openDatabase<TSchema extends Record<string, unknown>>(
  url: string,
  schema: TSchema,
  options: { max?: number; applicationName?: string } = {},
): Database<TSchema> {
  const sql = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 5,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "acme" },
  });
  return { sql, db: drizzle(sql, { schema }), close: () => sql.end({ timeout: 5 }) };
}

/** Readiness check: the database answers a trivial query. */
export function databaseReadiness(sql: Sql): () => Promise<void> {
  return async () => {
    await sql`select 1`;
  };
}
