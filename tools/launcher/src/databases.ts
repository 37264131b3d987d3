import postgres from "postgres";
import type { ServiceName } from "@acme/devstack";

/**
 * One login role and one database per service, the role owning its
 * database; CONNECT revoked from PUBLIC on every database, so a service's
 * credentials open its own database and no other (not even `postgres`).
 * Idempotent: a second start re-applies the same state, including the
 * password, so the credentials file stays the source of truth.
 */
export async function provisionDatabases(adminUrl: string, roles: { service: ServiceName; password: string }[]): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    for (const { service, password } of roles) {
      const role = sql(service);
      const [existing] = await sql`select 1 from pg_roles where rolname = ${service}`;
      if (!existing) await sql`create role ${role} login`;
      // Passwords are base64url (see credentials.ts): nothing to escape.
      await sql.unsafe(`alter role "${service}" with login nosuperuser nocreatedb nocreaterole password '${password}'`);
      const [database] = await sql`select 1 from pg_database where datname = ${service}`;
      if (!database) await sql`create database ${role} owner ${role}`;
      await sql`alter database ${role} owner to ${role}`;
      await sql`revoke connect, temporary on database ${role} from public`;
    }
    for (const shared of ["postgres", "template1"]) await sql`revoke connect on database ${sql(shared)} from public`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
