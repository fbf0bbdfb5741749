import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });
// Linted as if it were this existing workflow file, so the workflows/ rules and type information apply.
const asWorkflowFile = `${root}/workflows/probe-workflow.ts`;

async function messagesFor(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: asWorkflowFile });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('ESLint keeps workflows/ deterministic', () => {
  it.each([
    ["import { readFileSync } from 'node:fs';\nexport const x = readFileSync;", 'no Node built-ins'],
    ["import crypto from 'crypto';\nexport const x = crypto;", 'no Node built-ins'],
    ["import pg from 'pg';\nexport const x = pg;", 'I/O belongs in activities'],
    ["import { Redis } from 'ioredis';\nexport const x = Redis;", 'I/O belongs in activities'],
    ["import { Connection } from '@solana/web3.js';\nexport const x = Connection;", 'I/O belongs in activities'],
    ["import * as anchor from '@coral-xyz/anchor';\nexport const x = anchor;", 'I/O belongs in activities'],
    ["import express from 'express';\nexport const x = express;", 'I/O belongs in activities'],
    ["import { createActivities } from '../activities';\nexport const x = createActivities;", 'as types only'],
    ['export const x = process.env.HOME;', 'no process access'],
  ])('rejects %s', async (code, expected) => {
    const messages = await messagesFor(code);
    expect(messages.join('\n')).toContain(expected);
  });

  it('accepts activities imported as types and the Temporal workflow API', async () => {
    const code = [
      "import { proxyActivities, sleep } from '@temporalio/workflow';",
      "import type { Activities } from '../activities';",
      "const { checkDependencies } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });",
      'export async function okWorkflow(): Promise<void> {',
      "  await sleep('1 second');",
      '  await checkDependencies();',
      '}',
    ].join('\n');
    expect(await messagesFor(code)).toEqual([]);
  });
});
