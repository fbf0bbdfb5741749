import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseWorkflowId, runningOrdersQuery, workflowIds } from './definitions';

const base58 = fc.stringMatching(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
const key = fc.string({ minLength: 1, maxLength: 40 }); // a client's key may hold anything, ':' included
const market = fc.nat(65_534);

describe('workflow IDs: one encoder and one decoder per kind', () => {
  it('decodes what it encodes, for every kind', () => {
    fc.assert(
      fc.property(base58, key, market, (account, k, m) => {
        expect(parseWorkflowId.probe(workflowIds.probe(k))).toEqual({ probeId: k });
        expect(parseWorkflowId.deposit(workflowIds.deposit(account))).toEqual({ signature: account });
        expect(parseWorkflowId.withdraw(workflowIds.withdraw(account, k))).toEqual({ account, requestId: k });
        expect(parseWorkflowId.order(workflowIds.order(account, k))).toEqual({ account, clientOrderId: k });
        expect(parseWorkflowId.funding(workflowIds.funding(m, k))).toEqual({ marketIndex: m, epoch: k });
        expect(parseWorkflowId.liquidation(workflowIds.liquidation(account, m, k))).toEqual({
          account,
          marketIndex: m,
          epoch: k,
        });
        expect(parseWorkflowId.liquidationBatch(workflowIds.liquidationBatch(m, k))).toEqual({
          marketIndex: m,
          digest: k,
        });
        expect(parseWorkflowId.reconciliation(workflowIds.reconciliation(k))).toEqual({ minute: k });
      }),
    );
  });

  it("refuses another kind's ID", () => {
    expect(parseWorkflowId.order('withdraw:Acc:req')).toBeNull();
    expect(parseWorkflowId.liquidation('liqs:0:digest')).toBeNull();
    expect(parseWorkflowId.liquidationBatch('liq:Acc:0:1')).toBeNull();
    expect(parseWorkflowId.funding('funding:x:1')).toBeNull();
  });

  it('writes the running-orders query in one place, with no way out of its quotes', () => {
    expect(runningOrdersQuery()).toBe('QdKind = "order" AND ExecutionStatus = "Running"');
    expect(runningOrdersQuery('Acc"1')).toBe('QdAccount = "Acc1" AND QdKind = "order" AND ExecutionStatus = "Running"');
  });
});
