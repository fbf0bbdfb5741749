import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

/**
 * `INSERT INTO <table> (<columns>) SELECT * FROM unnest($1::<type>[], $2::<type>[], …)`: rows bound as one
 * array parameter per column, however many rows. Drizzle's multi-row VALUES binds rows × columns parameters
 * and turns each into SQL one at a time: for a liquidation batch's books (forty accounts, about forty
 * parameters each) a twentieth of the liquidation worker's CPU in a crash (V8 profile, issue 10). The
 * caller appends its ON CONFLICT clause (and RETURNING) and runs it with `execute`.
 */
export function insertByColumns<T extends PgTable, K extends keyof T['_']['columns'] & string>(
  table: T,
  keys: readonly K[],
  rows: readonly { [key in K]: unknown }[],
): SQL {
  const columns = keys.map((key) => table[key as keyof T] as unknown as PgColumn);
  const arrays = columns.map((column, i) =>
    rows.map((row) => {
      const value = row[keys[i]!];
      return value === null || value === undefined ? null : column.mapToDriverValue(value);
    }),
  );
  return sql`insert into ${table} (${sql.join(
    columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  )}) select * from unnest(${sql.join(
    columns.map((c, i) => sql`${sql.param(arrays[i])}::${sql.raw(c.getSQLType())}[]`),
    sql`, `,
  )})`;
}

/** `col = excluded.col, …` for an ON CONFLICT DO UPDATE of these columns. */
export function setExcluded(columns: readonly PgColumn[]): SQL {
  return sql.join(
    columns.map((c) => sql`${sql.identifier(c.name)} = excluded.${sql.identifier(c.name)}`),
    sql`, `,
  );
}
