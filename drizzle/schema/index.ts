export * from './workflow-runs';
