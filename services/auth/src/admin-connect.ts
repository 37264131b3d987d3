import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { desc } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import { AuthAdminService } from "@acme/gen/acme/admin/v1/auth_admin_pb";
import { readOutboxStatus } from "@acme/kit/outbox";
import { signingKeys, type schema } from "./db/schema.js";

/**
 * acme.admin.v1.AuthAdminService, served on auth's admin port (behind
 * ADMIN_TOKEN): the outbox and the signing keys. Keys are listed by their
 * public facts only; the private JWK column is never selected.
 */
export function authAdminRoutes(db: PostgresJsDatabase<typeof schema>, sql: Sql, instanceId: string) {
  return (router: ConnectRouter) => {
    router.service(AuthAdminService, {
      async getOutboxStatus() {
        const status = await readOutboxStatus(sql);
        const ms = status.oldestUnsentAgeMs;
        return {
          unsent: BigInt(status.unsent),
          oldestUnsentAge: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 },
          relayInstance: status.relayInstance,
          answeringInstanceRelays: status.relayInstance === instanceId,
          sentRetained: BigInt(status.sentRetained),
        };
      },
      async listSigningKeys() {
        const rows = await db
          .select({ kid: signingKeys.kid, createdAt: signingKeys.createdAt, retiredAt: signingKeys.retiredAt })
          .from(signingKeys)
          .orderBy(desc(signingKeys.createdAt));
        // The newest key signs new tokens (TokenIssuer).
        const active = rows[0]?.kid;
        return {
          keys: rows.map((row) => ({
            kid: row.kid,
            createdAt: timestampFromDate(row.createdAt),
            ...(row.retiredAt ? { retiredAt: timestampFromDate(row.retiredAt) } : {}),
            active: row.kid === active,
          })),
        };
      },
    });
  };
}
