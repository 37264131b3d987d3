import { eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { ConsumerDatabase } from "../consumer/apply-batch.js";
import { coalesce } from "../db/coalesce.js";
import { columnTexts, unnestOf } from "../db/unnest-rows.js";
import type { ProjectionStore } from "./account-projection.js";
import type { UserState } from "./account-facts.js";
import type { UserTombstonesTable } from "./tables.js";

/** A service's database or one of its transactions (the consumer's), whatever its schema. */
export type ProjectionDb = ConsumerDatabase;

/** A projection table: one row per user, keyed by `userId` (tables.ts: accountKeyColumns). */
export type ProjectionTable = PgTable & { userId: PgColumn; updatedAt: PgColumn };

export interface ProjectionTableSpec<T extends ProjectionTable, R> {
  /** The service's table, built with accountKeyColumns() and accountVersionColumns(). */
  table: T;
  tombstones: UserTombstonesTable;
  /** Prefix of the prepared statements' names, e.g. "profile". */
  name: string;
  /** Row to record and back, where the service stores a field across columns (billing's address); the identity otherwise. */
  toRecord?: (row: T["$inferSelect"]) => R;
  toRow?: (record: R) => T["$inferInsert"];
}

type Row<T extends ProjectionTable> = T["$inferSelect"];
type Loaded<T extends ProjectionTable> = { id: string; row: Row<T> | null; tombstoneRevision: number | null };

/**
 * A projection's records in PostgreSQL (Drizzle), with the tombstones: load
 * (record, tombstone or neither in one round trip), save (the whole record),
 * delete (record out, tombstone in, one statement) and updateColumns (the
 * owner's own columns, which events never change). `db` may be a transaction.
 * `batching` is the same store for the consumer's transactions.
 */
export function createProjectionStore<T extends ProjectionTable, R>(db: ProjectionDb, spec: ProjectionTableSpec<T, R>) {
  const parts = storeParts(db, spec);
  const store = singleStore(db, spec, parts);
  return { store, batching: batchingStore(db, spec, parts, store) };
}

type StoreParts<T extends ProjectionTable, R> = ReturnType<typeof storeParts<T, R>>;

/** The store's mappings and its prepared statements. */
function storeParts<T extends ProjectionTable, R>(db: ProjectionDb, spec: ProjectionTableSpec<T, R>) {
  const { table, tombstones } = spec;
  const toRecord = spec.toRecord ?? ((row: Row<T>) => row as R);
  const toRow = spec.toRow ?? ((record: R) => record as T["$inferInsert"]);
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  // Saving replaces everything but the key: the caller decided the whole record.
  const upsert: { target: PgColumn; set: never } = {
    target: table.userId,
    set: Object.fromEntries(
      Object.entries(columns)
        .filter(([key]) => key !== "userId")
        .map(([key, column]) => [key, sql`excluded.${sql.identifier(column.name)}`]),
    ) as never,
  };
  const toState = (loaded: Loaded<T> | undefined): UserState<R> => {
    if (loaded?.tombstoneRevision != null) return { kind: "deleted", revision: loaded.tombstoneRevision };
    if (loaded?.row) return { kind: "present", record: toRecord(loaded.row) };
    return { kind: "absent" };
  };
  // The hot statements, prepared: Drizzle sends an unprepared query to
  // postgres.js as "describe, then execute", two round trips and no
  // pipelining; a prepared one is one round trip and pipelines.
  const byKey = (keys: SQL, statement: string) =>
    db
      .select({ id: sql<string>`k.id`, row: table, tombstoneRevision: tombstones.revision })
      .from(keys)
      // Drizzle cannot type a join with a table it knows only as generic; the row is typed by Loaded<T> below.
      .leftJoin(table as PgTable, sql`${table.userId} = k.id`)
      .leftJoin(tombstones, sql`${tombstones.userId} = k.id`)
      .prepare(`${spec.name}_${statement}`);
  const statements = {
    load: byKey(sql`(select ${sql.placeholder("userId")}::text as id) as k`, "load"),
    loadMany: byKey(sql`unnest(${sql.placeholder("ids")}::text[]) as k(id)`, "load_many"),
    save: db
      .insert(table)
      .values(Object.fromEntries(Object.keys(columns).map((key) => [key, sql.placeholder(key)])) as T["$inferInsert"])
      .onConflictDoUpdate(upsert)
      .prepare(`${spec.name}_save`),
    // A batch's saves in one statement: one array per column, unnested (db/unnest-rows.ts).
    saveMany: db
      .insert(table)
      .select(sql`select * from ${unnestOf(Object.values(columns), (column) => sql.placeholder(column.name))}`)
      .onConflictDoUpdate(upsert)
      .prepare(`${spec.name}_save_many`),
  };
  const loadRows = async (statement: typeof statements.load, params: Record<string, unknown>) => (await statement.execute(params)) as unknown as Loaded<T>[];
  return { toRecord, toRow, columns, toState, statements, loadRows };
}

/** One statement per call: for RPCs and tests. */
function singleStore<T extends ProjectionTable, R>(db: ProjectionDb, { table, tombstones }: ProjectionTableSpec<T, R>, parts: StoreParts<T, R>) {
  const { statements, loadRows, toState, toRow, toRecord } = parts;
  return {
    /** One round trip: the record, or the tombstone, or neither. */
    async load(userId: string): Promise<UserState<R>> {
      const [loaded] = await loadRows(statements.load, { userId });
      return toState(loaded);
    },
    async save(record: R): Promise<void> {
      await statements.save.execute({ ...toRow(record) });
    },
    /** Removes the record and leaves a tombstone, in one statement; an existing tombstone is kept. */
    async delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void> {
      await db.execute(sql`
        with gone as (delete from ${table} where ${table.userId} = ${userId})
        insert into ${tombstones} (user_id, revision, deleted_at)
        values (${userId}, ${tombstone.revision}, ${tombstone.at.toISOString()}::timestamptz)
        on conflict (user_id) do nothing`);
    },
    /** Changes the owner's columns only (and updated_at): events change the others, so neither overwrites the other. */
    async updateColumns(userId: string, set: Partial<T["$inferInsert"]>, now: Date): Promise<R | undefined> {
      const rows = (await db
        .update(table)
        .set({ ...set, updatedAt: now } as never)
        .where(eq(table.userId, userId))
        .returning()) as Row<T>[];
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
  };
}

/**
 * For the consumer's transactions: the handlers of one batch run side by
 * side, so their loads, saves and deletions coalesce into one set-based
 * statement each (a 200-event batch costs a handful of statements, not 400).
 */
function batchingStore<T extends ProjectionTable, R, S extends ReturnType<typeof singleStore<T, R>>>(
  db: ProjectionDb,
  { table, tombstones }: ProjectionTableSpec<T, R>,
  { statements, loadRows, toState, toRow, columns }: StoreParts<T, R>,
  store: S,
): S {
  // The first deletion of a user in a round is kept, as on its own.
  const deleteRound = coalesce(async (deletions: { userId: string; tombstone: { revision: number; at: Date } }[]) => {
    const first = [...new Map([...deletions].reverse().map((d) => [d.userId, d])).values()];
    const userIds = sql.param(first.map((d) => d.userId));
    await db.execute(sql`
      with gone as (delete from ${table} where ${table.userId} = any(${userIds}::text[]))
      insert into ${tombstones} (user_id, revision, deleted_at)
      select * from unnest(${userIds}::text[], ${sql.param(first.map((d) => String(d.tombstone.revision)))}::text[]::bigint[], ${sql.param(first.map((d) => d.tombstone.at.toISOString()))}::text[]::timestamptz[])
      on conflict (user_id) do nothing`);
    return deletions.map(() => undefined);
  });
  return {
    ...store,
    load: coalesce(async (ids: string[]) => {
      const rows = await loadRows(statements.loadMany, { ids: [...new Set(ids)] });
      const byId = new Map(rows.map((loaded) => [loaded.id, loaded]));
      return ids.map((id) => toState(byId.get(id)));
    }),
    save: coalesce(async (records: R[]) => {
      // One row per user: a later save of the same round wins (one statement cannot touch a row twice).
      const latest = [
        ...new Map(
          records.map((record) => {
            const row = toRow(record) as Record<string, unknown>;
            return [row.userId, row];
          }),
        ).values(),
      ];
      await statements.saveMany.execute(
        Object.fromEntries(
          Object.entries(columns).map(([key, column]) => [
            column.name,
            columnTexts(
              column,
              latest.map((row) => row[key]),
            ),
          ]),
        ),
      );
      return records.map(() => undefined);
    }),
    delete: (userId: string, tombstone: { revision: number; at: Date }) => deleteRound({ userId, tombstone }),
  };
}

export type ProjectionDrizzleStore<R, T extends ProjectionTable = ProjectionTable> = ReturnType<typeof createProjectionStore<T, R>>["store"];

/** One store per transaction, made on first use: the consumer's handlers of one batch share it (and its prepared statements). */
export function perTransaction<Tx extends object, S>(create: (tx: Tx) => S): (tx: Tx) => S {
  const made = new WeakMap<Tx, S>();
  return (tx) => {
    let store = made.get(tx);
    if (!store) {
      store = create(tx);
      made.set(tx, store);
    }
    return store;
  };
}

export type { ProjectionStore };
