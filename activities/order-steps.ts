import { ApplicationFailure } from '@temporalio/common';
import { orderRowOf } from '../domain/orders';
import { stepEvent, type EventSource, type WorkflowEvent } from '../domain/workflow-events';
import { PROGRAM_REJECTION } from '../workflows/definitions';
import type { PlaceOrderInput } from '../workflows/place-order-workflow';
import type { WorkflowRunRecord } from './bookkeeping/workflow-runs';
import type { FillReceipt, OrderRowInput, OrderWire, SignedOrder } from './orders';

/** The wallet and sub-account an order was signed for. */
export interface OrderOwner {
  account: string;
  wallet: string;
  subAccountId: number;
}

/** A step an activity ran and reported: its name and when it completed. */
export interface StepTime {
  name: string;
  at: string;
}

/** The single-purpose activities an order's combined steps are made of (each idempotent). */
export interface OrderStepParts {
  recordWorkflowRun(run: WorkflowRunRecord): Promise<void>;
  publishWorkflowEvents(events: WorkflowEvent[]): Promise<unknown>;
  verifyOrderSignature(s: SignedOrder): Promise<OrderOwner>;
  preTradeCheck(o: OrderWire, options: { limit?: boolean }): Promise<unknown>;
  recordOrderResting(r: OrderRowInput & { at: string }): Promise<void>;
  recordOrderFill(r: OrderRowInput & { fill: FillReceipt; at: string }): Promise<void>;
}

export interface AcceptOrderInput {
  placed: PlaceOrderInput;
  /** Whose events the run publishes. */
  source: EventSource;
  /** The run's record as it starts (running, started). */
  run: WorkflowRunRecord;
  /** Whether the pre-trade rule checks the limit price now (a resting order's limit applies when it triggers). */
  limit: boolean;
  /** The order rests once accepted: its row `open`, with its trigger. */
  rest: boolean;
}

export interface Accepted {
  owner: OrderOwner;
  /** The steps done and reported, in order. */
  steps: StepTime[];
  /** The program's rule refuses the order (its error name and message) at `step`: nothing after it was done. */
  refused?: { step: string; type: string; message: string };
}

export interface SettleFillInput {
  row: OrderRowInput;
  fill: FillReceipt;
  source: EventSource;
  /** The run's record as it ends (completed, filled). */
  run: WorkflowRunRecord;
}

/**
 * An order's steps around its fill, each group in one local activity: one round trip to the workflow
 * instead of one per step (a market order's run went from ten activations to four). Each step's event is
 * published as the step completes, so the trader still sees them one by one; every part is idempotent,
 * so a retry repeats them harmlessly. `now` stamps the events.
 */
export function createOrderStepActivities(parts: OrderStepParts, now: () => Date = () => new Date()) {
  const report = async (source: EventSource, steps: StepTime[], name: string): Promise<StepTime> => {
    const step = { name, at: now().toISOString() };
    await parts.publishWorkflowEvents([stepEvent(source, name, 'completed', step.at)]);
    steps.push(step);
    return step;
  };
  return {
    /**
     * An order's opening: its run recorded as running, the wallet's signature verified (a bad one throws,
     * final), the pre-trade rule (a refusal of the program's is returned, with the owner, for the workflow
     * to end the order rejected), and a resting order's row.
     */
    async acceptOrder(a: AcceptOrderInput): Promise<Accepted> {
      const steps: StepTime[] = [];
      await parts.recordWorkflowRun(a.run);
      const owner = await parts.verifyOrderSignature(a.placed);
      await report(a.source, steps, 'verified');
      try {
        await parts.preTradeCheck(a.placed.order, { limit: a.limit });
      } catch (err) {
        const refusal = programRefusalOf(err);
        if (!refusal) throw err;
        return { owner, steps, refused: { step: 'risk-checked', ...refusal } };
      }
      await report(a.source, steps, 'risk-checked');
      if (a.rest) {
        const row = orderRowOf(a.placed, a.run.workflowId, owner, a.placed.triggerPrice ?? null);
        await parts.recordOrderResting({ ...row, at: now().toISOString() });
        await report(a.source, steps, 'resting');
      }
      return { owner, steps };
    },

    /** A fill's aftermath: its event, the order's, fill's and account's rows, then the run recorded as ended. */
    async settleOrderFill(a: SettleFillInput): Promise<StepTime[]> {
      const steps: StepTime[] = [];
      const filled = await report(a.source, steps, 'filled');
      await parts.recordOrderFill({ ...a.row, fill: a.fill, at: filled.at });
      await report(a.source, steps, 'recorded');
      await parts.recordWorkflowRun(a.run);
      return steps;
    },
  };
}

/** The program's error name and message when `err` is its rule refusing the order (as preTradeCheck throws it). */
function programRefusalOf(err: unknown): { type: string; message: string } | null {
  return err instanceof ApplicationFailure && err.details?.[0] === PROGRAM_REJECTION && err.type
    ? { type: err.type, message: err.message }
    : null;
}
