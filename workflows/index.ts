export { probeWorkflow } from './probe-workflow';
