import type { ServiceName } from "@acme/devstack";
import type { FaultSystem } from "./system.js";

/**
 * Every table of each service's database that the fault system runs:
 * what "nothing changed" is checked against. (notifications is not among the
 * fault system's processes yet; its crashes are tested in
 * services/notifications/test/integration/crashes.test.ts.)
 */
const TABLES: Partial<Record<ServiceName, string[]>> = {
  auth: ["credentials", "passwords", "outbox", "signing_keys"],
  profile: ["profiles", "user_tombstones", "processed_events"],
  billing: ["billing_contacts", "user_tombstones", "processed_events"],
};

/**
 * A digest of every row of every service table (row count and an md5 of
 * the rows' text), so a test can assert that hostile input changed nothing
 * at all, not merely that no row was added.
 */
export async function databaseDigest(system: FaultSystem): Promise<Record<string, string>> {
  const digest: Record<string, string> = {};
  for (const [service, tables] of Object.entries(TABLES) as Array<[ServiceName, string[]]>) {
    const sql = system.sql(service);
    for (const table of tables) {
      const [row] = await sql<{ n: number; md5: string }[]>`
        select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as md5 from ${sql(table)} as t`;
      digest[`${service}.${table}`] = `${row?.n} rows ${row?.md5}`;
    }
  }
  return digest;
}
