export * from './workflow-runs';
export * from './trading';
