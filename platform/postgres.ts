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
  const db: Database = drizzle(pool, { schema });
  return { pool, db };
}

export async function runMigrations(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}
