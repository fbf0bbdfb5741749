import { describe, expect, it } from 'vitest';
import { accountStreamKey, eventKeyOf } from './workflow-events';

describe('workflow event keys', () => {
  it('puts each account on its own stream under the prefix', () => {
    expect(accountStreamKey('qd', 'Abc123')).toBe('qd:events:Abc123');
  });

  it('makes one key per workflow, step and outcome', () => {
    const keys = new Set([
      eventKeyOf('order:a:1', 'filled', 'completed'),
      eventKeyOf('order:a:1', 'filled', 'failed'),
      eventKeyOf('order:a:1', 'confirmed', 'completed'),
      eventKeyOf('order:a:2', 'filled', 'completed'),
    ]);
    expect(keys.size).toBe(4);
  });
});
