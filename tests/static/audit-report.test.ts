import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { auditFromHistory, auditMarkdown } from '../../temporal/audit-report';
import { HistoryProto } from '../../temporal/proto';
import { HISTORIES_DIR } from '../support/histories';

const deposit = HistoryProto.decode(readFileSync(`${HISTORIES_DIR}deposit.history`));

describe('the audit report', () => {
  it('reads a deposit history into steps, inputs, outputs, signatures and rows', () => {
    const audit = auditFromHistory('deposit:x', deposit);
    expect(audit.workflowType).toBe('depositWorkflow');
    expect(audit.status).toBe('completed');
    const activities = audit.timeline.filter((t) => t.event === 'activity completed').map((t) => t.activity);
    expect(activities).toEqual(
      expect.arrayContaining(['validateDepositTransaction', 'submitTransaction', 'readCollateral', 'recordDeposit']),
    );
    expect(audit.chainSignatures).toHaveLength(1);
    expect(audit.chainSignatures[0]).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    expect(audit.rowsWritten.map((r) => r.activity)).toContain('recordDeposit');
    expect(audit.result).toMatchObject({ signature: audit.chainSignatures[0] });
    // Bookkeeping runs as local activities: their markers are in the timeline too, with the code version.
    const local = audit.timeline.filter((t) => t.event === 'local activity completed').map((t) => t.activity);
    expect(local).toEqual(expect.arrayContaining(['recordWorkflowRun', 'publishWorkflowEvent']));
    expect(audit.rowsWritten.map((r) => r.activity)).toContain('recordWorkflowRun');
    expect(audit.timeline.find((t) => t.event === 'code version (patch)')?.output).toMatchObject({
      id: 'bookkeeping-local-activities',
    });
  });

  it("reads an order's fill and rows from its local activities", () => {
    const audit = auditFromHistory('order:x', HistoryProto.decode(readFileSync(`${HISTORIES_DIR}order.history`)));
    expect(audit.status).toBe('completed');
    const local = audit.timeline.filter((t) => t.event === 'local activity completed').map((t) => t.activity);
    expect(local).toEqual(['acceptOrder', 'submitFill', 'settleOrderFill']);
    expect(audit.chainSignatures).toHaveLength(1);
    expect(audit.result).toMatchObject({ signature: audit.chainSignatures[0] });
    expect(audit.rowsWritten.map((r) => r.activity)).toEqual(['acceptOrder', 'settleOrderFill']);
  });

  it('renders markdown an auditor can read, with the replay verdict', () => {
    const audit = auditFromHistory('deposit:x', deposit);
    const md = auditMarkdown('Audit', [audit], new Map([['deposit:x', null]]));
    expect(md).toContain('## depositWorkflow `deposit:x` — completed');
    expect(md).toContain('Replay against the current code: deterministic.');
    expect(md).toContain(`\`${audit.chainSignatures[0]}\``);
    expect(md).toMatch(/\| recordDeposit \|/);
  });
});
