import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './drizzle/schema/index.ts',
  out: './drizzle/migrations',
  dbCredentials: { url: process.env.QD_PG_URL ?? 'postgres://quantdesk@127.0.0.1:5432/quantdesk' },
  strict: true,
});
