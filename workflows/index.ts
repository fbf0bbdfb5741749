export { probeWorkflow } from './probe-workflow';
export { depositWorkflow } from './deposit-workflow';
export { withdrawWorkflow } from './withdraw-workflow';
export { placeOrderWorkflow } from './place-order-workflow';
export { fundingSettlementWorkflow, fundingScheduleWorkflow } from './funding-workflow';
export { liquidationWorkflow } from './liquidation-workflow';
export { liquidationBatchWorkflow } from './liquidation-batch-workflow';
export { reconciliationWorkflow } from './reconciliation-workflow';
