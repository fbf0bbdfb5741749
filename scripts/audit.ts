// Auditors' CLI.
//   npm run audit -- replay <workflowId>                      replay one history against the current code
//   npm run audit -- report --account <id> --from <t> --to <t> [--format md|json] [--out <file>]
//   npm run audit -- reconcile [--format md|json] [--out <file>]   books vs chain now (exit 1 on any difference)
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../platform/config';
import { runMain } from '../platform/main';
import { createTemporalClient } from '../temporal/client';
import { auditMarkdown, reconciliationMarkdown } from '../temporal/audit-report';
import { auditAccount, replayWorkflow, runReconciliation } from '../temporal/operations';

await runMain('audit', async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'md' },
      out: { type: 'string' },
    },
  });
  const [command, workflowId] = positionals;
  const config = loadConfig();
  const client = await createTemporalClient(config.temporal);
  const emit = (text: string) => (values.out ? writeFileSync(values.out, text) : process.stdout.write(text));
  try {
    if (command === 'replay' && workflowId) {
      const { audit, error } = await replayWorkflow(client, workflowId);
      emit(
        values.format === 'json'
          ? `${JSON.stringify({ ...audit, deterministic: !error, replayError: error }, null, 2)}\n`
          : auditMarkdown(`Replay of ${workflowId}`, [audit], new Map([[workflowId, error]])),
      );
      process.exitCode = error ? 1 : 0;
    } else if (command === 'report' && values.account && values.from && values.to) {
      if (Number.isNaN(Date.parse(values.from)) || Number.isNaN(Date.parse(values.to)))
        throw new Error('--from and --to must be ISO times');
      const { audits, verdicts, title } = await auditAccount(client, {
        account: values.account,
        from: values.from,
        to: values.to,
      });
      emit(
        values.format === 'json'
          ? `${JSON.stringify(
              audits.map((a) => ({ ...a, deterministic: !verdicts.get(a.workflowId) })),
              null,
              2,
            )}\n`
          : auditMarkdown(title, audits, verdicts),
      );
      process.exitCode = [...verdicts.values()].some(Boolean) ? 1 : 0;
    } else if (command === 'reconcile') {
      const report = await runReconciliation(client, config.temporal.taskQueue, new Date());
      emit(values.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reconciliationMarkdown(report));
      process.exitCode = report.differenceCount > 0 ? 1 : 0;
    } else {
      console.error(
        'usage: npm run audit -- replay <workflowId> | report --account <id> --from <iso> --to <iso> | reconcile  [--format md|json] [--out file]',
      );
      process.exitCode = 2;
    }
  } finally {
    await client.connection.close();
  }
});
