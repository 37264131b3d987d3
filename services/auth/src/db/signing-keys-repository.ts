import { and, desc, gt, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { JWK } from "jose";
import type { SigningKeyStore, StoredSigningKey } from "../security/token-issuer.js";
import { signingKeys, type schema } from "./schema.js";

export function createSigningKeyRepository(db: PostgresJsDatabase<typeof schema>): SigningKeyStore {
  return {
    async list(keepRetiredMs) {
      const since = new Date(Date.now() - keepRetiredMs);
      const rows = await db
        .select()
        .from(signingKeys)
        .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, since)))
        .orderBy(desc(signingKeys.createdAt));
      return rows.map((row) => ({ ...row, privateJwk: row.privateJwk as JWK, publicJwk: row.publicJwk as JWK }));
    },

    async rotate(key: StoredSigningKey, newestKid) {
      await db.transaction(async (tx) => {
        // Instances starting together: one rotates, the others see its key.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('auth:signing-key-rotation'))`);
        const [current] = await tx.select({ kid: signingKeys.kid }).from(signingKeys).orderBy(desc(signingKeys.createdAt)).limit(1);
        if (current?.kid !== newestKid) return;
        await tx.update(signingKeys).set({ retiredAt: new Date() }).where(and(isNull(signingKeys.retiredAt), ne(signingKeys.kid, key.kid)));
        await tx.insert(signingKeys).values(key);
        // Keys retired for two days (longer than any token lifetime) are of no use to anyone; drop the private material.
        await tx.delete(signingKeys).where(lt(signingKeys.retiredAt, new Date(Date.now() - 48 * 3_600_000)));
      });
    },
  };
}
