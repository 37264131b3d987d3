import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import postgres, { type Options, type PostgresType, type Sql } from "postgres";
import { tlsVerificationError } from "../tls.js";

export interface Database<TSchema extends Record<string, unknown>> {
  sql: Sql;
  db: PostgresJsDatabase<TSchema>;
  close(): Promise<void>;
}

/** Seconds before reconnect attempt n: quick after an outage (postgres.js's own grows to 20 s). */
export const reconnectBackoff = (attempt: number): number => Math.min(0.1 * 2 ** attempt, 2);

/**
 * One postgres.js pool per service process. Connections are opened lazily
 * and re-opened after a database restart, so the process survives Postgres
 * going away (its RPCs answer `unavailable` meanwhile).
 *
 * Beware: drizzle(sql) replaces postgres.js's date serializers on `sql`, so a
 * raw query on `sql` must pass timestamps as ISO strings (`${d.toISOString()}::timestamptz`).
 */
export function openDatabase<TSchema extends Record<string, unknown>>(
  url: string,
  schema: TSchema,
  options: {
    max?: number;
    applicationName?: string;
    /**
     * Whether queries pass JS arrays as parameters (postgres.js then fetches
     * array types on each new connection). A service without array
     * parameters turns it off: postgres.js 3.4.9 leaves that fetch's failure
     * unhandled, which kills the process when the database goes away during
     * a reconnect (porsager/postgres#1192).
     */
    arrayParameters?: boolean;
  } = {},
): Database<TSchema> {
  const sql = postgresClient(url, {
    fetch_types: options.arrayParameters ?? true,
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 5,
    backoff: reconnectBackoff,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "acme" },
  });
  return { sql, db: drizzle(sql, { schema }), close: () => sql.end({ timeout: 5 }) };
}

/**
 * A postgres.js client for a libpq-style URL. postgres.js understands
 * `sslmode` but not `sslrootcert` (it would send it to the server as a
 * setting): here `sslrootcert=<PEM file>` becomes the CA the server's
 * certificate is verified against, with its host name (`verify-full`, the
 * default) or without (`verify-ca`). Every connection of kit opens through
 * this, so DATABASE_SSL_ROOT_CERT (folded into the URL) reaches all of them.
 */
export function postgresClient(url: string, options: Options<Record<string, PostgresType>> = {}): Sql {
  const parsed = new URL(url);
  const rootCert = parsed.searchParams.get("sslrootcert");
  if (!rootCert || rootCert === "system") return postgres(url, options);
  const mode = parsed.searchParams.get("sslmode") ?? "verify-full";
  if (mode !== "verify-full" && mode !== "verify-ca") {
    throw new Error(`DATABASE_URL: sslrootcert needs sslmode=verify-full or verify-ca, not ${mode}`);
  }
  parsed.searchParams.delete("sslrootcert");
  parsed.searchParams.delete("sslmode");
  const ssl: ConnectionOptions = {
    ca: readFileSync(rootCert, "utf8"),
    rejectUnauthorized: true,
    ...(mode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
  };
  return postgres(parsed.toString(), { ...options, ssl });
}

/** Readiness check: the database answers a trivial query. */
export function databaseReadiness(sql: Sql): () => Promise<void> {
  return async () => {
    await sql`select 1`;
  };
}

/** Walks an error's `cause` chain (drizzle wraps the driver's error). */
function* causes(error: unknown): Generator<Record<string, unknown>> {
  let current = error;
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

/** A unique constraint (optionally a named one) refused the write. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (const e of causes(error)) {
    if (e.code === "23505" && (!constraint || e.constraint_name === constraint)) return true;
  }
  return false;
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08001",
  "08003",
  "08006",
]);

/** The database cannot be reached or is shutting down: worth retrying later, not a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of causes(error)) {
    if (typeof e.code === "string" && UNAVAILABLE_CODES.has(e.code)) return true;
  }
  return false;
}

/** Waits (logging every few seconds) until the database answers; a service may start before it. */
export async function waitForDatabase(url: string, log: (message: string) => void, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = 0;
  for (;;) {
    const sql = postgresClient(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      const tls = tlsVerificationError(error);
      if (tls)
        throw new Error(
          `DATABASE_SSL_ROOT_CERT: the database at ${new URL(url).host} failed verification (${tls}); is it the CA that signed the server's certificate, for this host name?`,
          { cause: error },
        );
      if (!isDatabaseUnavailable(error) || Date.now() > deadline) throw error;
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log(`waiting for the database at ${new URL(url).host}: ${(error as Error).message}`);
      }
    } finally {
      await sql.end({ timeout: 1 });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
