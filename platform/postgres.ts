import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import * as schema from '../drizzle/schema';

export type Database = NodePgDatabase<typeof schema>;
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle/migrations', import.meta.url));

export function createPostgres(url: string, options: { max?: number; applicationName?: string } = {}) {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'quantdesk',
    connectionTimeoutMillis: 5_000,
  });
  // An idle client whose server connection ends (a restart, an administrator) must not crash the
  // process: the pool drops it and the next query opens a new one.
  pool.on('error', () => undefined);
  const db: Database = drizzle(pool, { schema });
  return { pool, db };
}

export async function runMigrations(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}

/**
 * Runs `read` in a transaction as role quantdesk_reader with qd.wallet set: Row Level Security then
 * limits every wallet-owned table to that wallet's rows, whatever the query says.
 */
export function readAsWallet<T>(pool: pg.Pool, wallet: string, read: (db: Database) => Promise<T>): Promise<T> {
  return asWallet(pool, wallet, 'READ ONLY', read);
}

/**
 * The same for a wallet's own writes (its alert subscriptions): the policies' WITH CHECK refuses a row
 * that names another wallet, and a wallet can change or delete only its own rows.
 */
export function writeAsWallet<T>(pool: pg.Pool, wallet: string, write: (db: Database) => Promise<T>): Promise<T> {
  return asWallet(pool, wallet, 'READ WRITE', write);
}

async function asWallet<T>(
  pool: pg.Pool,
  wallet: string,
  mode: 'READ ONLY' | 'READ WRITE',
  run: (db: Database) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(`BEGIN ${mode}`);
    await client.query('SET LOCAL ROLE quantdesk_reader');
    await client.query("SELECT set_config('qd.wallet', $1, true)", [wallet]);
    const result = await run(drizzle(client, { schema }));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
