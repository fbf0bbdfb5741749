import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const secretlint = join(root, 'node_modules/.bin/secretlint');

function scan(content: string) {
  const dir = mkdtempSync(join(tmpdir(), 'qd-secrets-'));
  const file = join(dir, 'leak.ts');
  writeFileSync(file, content);
  return spawnSync(secretlint, ['--secretlintrc', join(root, '.secretlintrc.json'), '--maskSecrets', 'leak.ts'], {
    cwd: dir,
    encoding: 'utf8',
  });
}

describe('the secret scan run by npm test', () => {
  it('fails on a database URL with a password', () => {
    const leaked = `export const url = '${['postgres://admin:', 'Sup3rS3cretPass', '@db.internal:5432/prod'].join('')}';\n`;
    const result = scan(leaked);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('PostgreSQL');
    expect(result.stdout + result.stderr).not.toContain('Sup3rS3cretPass');
  });

  it('passes a file without credentials', () => {
    expect(scan("export const url = 'postgres://quantdesk@127.0.0.1:5432/quantdesk';\n").status).toBe(0);
  });
});
