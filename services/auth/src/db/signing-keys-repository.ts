import { and, desc, gt, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { JWK } from "jose";
import type { KeySealer } from "../security/key-sealer.js";
import type { SigningKeyStore, StoredSigningKey } from "../security/token-issuer.js";
import { signingKeys, type schema } from "./schema.js";

type Db = PostgresJsDatabase<typeof schema>;

/** The signing keys in auth's database, private halves sealed (AES-256-GCM) under AUTH_KEY_ENCRYPTION_KEY. */
export function createSigningKeyRepository(db: Db, sealer: KeySealer): SigningKeyStore & { sealPlaintextKeys(): Promise<number> } {
  return {
    async list(keepRetiredMs) {
      const since = new Date(Date.now() - keepRetiredMs);
      const rows = await db
        .select()
        .from(signingKeys)
        .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, since)))
        .orderBy(desc(signingKeys.createdAt));
      return rows.map((row) => ({
        kid: row.kid,
        // A row written before sealing existed and not yet sealed (another instance's start is sealing it) is read as is.
        privateJwk: row.sealedPrivateJwk ? sealer.unseal<JWK>(row.kid, row.sealedPrivateJwk) : (row.privateJwk as JWK),
        publicJwk: row.publicJwk as JWK,
        createdAt: row.createdAt,
        retiredAt: row.retiredAt,
      }));
    },

    async rotate(key: StoredSigningKey, newestKid) {
      await db.transaction(async (tx) => {
        // Instances starting together: one rotates, the others see its key.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('auth:signing-key-rotation'))`);
        const [current] = await tx.select({ kid: signingKeys.kid }).from(signingKeys).orderBy(desc(signingKeys.createdAt)).limit(1);
        if (current?.kid !== newestKid) return;
        await tx
          .update(signingKeys)
          .set({ retiredAt: new Date() })
          .where(and(isNull(signingKeys.retiredAt), ne(signingKeys.kid, key.kid)));
        await tx.insert(signingKeys).values({
          kid: key.kid,
          sealedPrivateJwk: sealer.seal(key.kid, key.privateJwk),
          publicJwk: key.publicJwk as Record<string, unknown>,
          createdAt: key.createdAt,
        });
      });
    },

    async forgetRetired(keepRetiredMs) {
      await db.delete(signingKeys).where(lt(signingKeys.retiredAt, new Date(Date.now() - keepRetiredMs)));
    },

    /** Seals keys stored in plain text by an older auth (before migration 0003); returns how many. */
    async sealPlaintextKeys() {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('auth:signing-key-rotation'))`);
        const plain = await tx.select().from(signingKeys).where(isNotNull(signingKeys.privateJwk));
        for (const row of plain) {
          await tx
            .update(signingKeys)
            .set({ sealedPrivateJwk: sealer.seal(row.kid, row.privateJwk!), privateJwk: null })
            .where(sql`${signingKeys.kid} = ${row.kid}`);
        }
        return plain.length;
      });
    },
  };
}
