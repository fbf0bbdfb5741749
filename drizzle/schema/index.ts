export * from './workflow-runs';
export * from './trading';
export * from './operations';
