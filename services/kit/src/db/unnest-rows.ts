import { getTableColumns, sql, type SQL, type SQLChunk } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";

/**
 * Set-based inserts: `select * from unnest($1::type1[], $2::type2[], ...)`
 * takes many rows as one array per column. The statement's text and its
 * parameter count stay the same whatever the number of rows, so it is
 * prepared once per connection and each batch is one round trip; a
 * multi-row VALUES list is a new statement (and a new parse and plan) for
 * every batch size, with a parameter per cell.
 *
 * Every array is sent as text[] and cast in SQL to the column's type: the
 * driver then needs no per-type array serializer (drizzle leaves
 * postgres.js's timestamptz[] one as a pass-through).
 */

/** The `unnest(...)` of the given columns, one argument per column, read from `arrays` (placeholders or parameters). */
export function unnestOf(columns: PgColumn[], arrays: (column: PgColumn, index: number) => SQLChunk): SQL {
  return sql`unnest(${sql.join(
    columns.map((column, i) => sql`${arrays(column, i)}::text[]::${sql.raw(column.getSQLType())}[]`),
    sql`, `,
  )})`;
}

/** One column's values as the text the array parameter carries: the column's own driver mapping, then text; null stays null. */
export function columnTexts(column: PgColumn, values: unknown[]): (string | null)[] {
  return values.map((value) => {
    if (value === null || value === undefined) return null;
    const driverValue = column.mapToDriverValue(value);
    return typeof driverValue === "string"
      ? driverValue
      : driverValue instanceof Date
        ? driverValue.toISOString()
        : typeof driverValue === "object"
          ? JSON.stringify(driverValue)
          : String(driverValue);
  });
}

/**
 * `insert into <table> (<keys' columns>) select * from unnest(...)` for the
 * rows given, one parameter per column; append an `on conflict` clause as
 * needed. Columns left out take their defaults.
 */
export function insertRowsSql<T extends PgTable>(table: T, keys: (keyof T["$inferInsert"] & string)[], rows: T["$inferInsert"][]): SQL {
  const all = getTableColumns(table) as Record<string, PgColumn>;
  const columns = keys.map((key) => {
    const column = all[key];
    if (!column) throw new Error(`no column "${key}" in the table`);
    return column;
  });
  return sql`insert into ${table} (${sql.join(
    columns.map((column) => sql.identifier(column.name)),
    sql`, `,
  )}) select * from ${unnestOf(columns, (column, i) =>
    sql.param(
      columnTexts(
        column,
        rows.map((row) => (row as Record<string, unknown>)[keys[i]!]),
      ),
    ),
  )}`;
}
