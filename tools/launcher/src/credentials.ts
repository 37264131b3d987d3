import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SERVICES, type ServiceName } from "@acme/devstack";

/** Generated once per DEVSTACK_DIR and reused, so a second start opens the same data. */
export interface Credentials {
  /** Superuser of the embedded PostgreSQL. */
  postgres: string;
  services: Record<ServiceName, { database: string; nats: string }>;
  /** The console's read-only NATS user. */
  console: { nats: string };
  /** Bearer token of every service's admin RPCs (ADMIN_TOKEN); added to older files on the next start. */
  adminToken: string;
  /** Auth's AUTH_KEY_ENCRYPTION_KEY (32 bytes, base64): seals its signing keys in its database. */
  authKeyEncryptionKey: string;
}

export const credentialsFile = (dir: string) => join(dir, "credentials.json");

// base64url: safe inside a SQL literal, a URL and the NATS config without escaping.
const secret = () => randomBytes(24).toString("base64url");

/** Reads the credentials file, filling in (and saving, mode 0600) what is missing. */
export async function loadOrCreateCredentials(dir: string): Promise<Credentials> {
  const file = credentialsFile(dir);
  const saved = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as Partial<Credentials>) : {};
  const credentials: Credentials = {
    postgres: saved.postgres ?? secret(),
    services: Object.fromEntries(
      SERVICES.map((s) => [s, { database: saved.services?.[s]?.database ?? secret(), nats: saved.services?.[s]?.nats ?? secret() }]),
    ) as Credentials["services"],
    console: { nats: saved.console?.nats ?? secret() },
    adminToken: saved.adminToken ?? secret(),
    // Added to a file written before it existed: auth then seals its existing keys under it at start.
    authKeyEncryptionKey: saved.authKeyEncryptionKey ?? randomBytes(32).toString("base64"),
  };
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return credentials;
}

/** A service's own URL on the embedded server: its role, its database. */
export function serviceDatabaseUrl(service: ServiceName, password: string, port: number): string {
  return `postgres://${service}:${encodeURIComponent(password)}@127.0.0.1:${port}/${service}`;
}
