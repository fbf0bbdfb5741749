import { describe, expect, it, vi } from 'vitest';
import type { Socket } from 'socket.io-client';
import { useRealtime } from './realtime';

// The session store (imported by the composable for its default socket) reads localStorage when it loads.
vi.hoisted(() => {
  const items = new Map<string, string>();
  globalThis.localStorage ??= {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
    clear: () => items.clear(),
    key: () => null,
    length: 0,
  };
});

/** A socket that records what is sent and lets the test deliver events. */
function fakeSocket() {
  const listeners = new Map<string, ((p: unknown) => void)[]>();
  const sent: unknown[] = [];
  const socket = {
    connected: true,
    on(event: string, l: (p: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), l]);
      return socket;
    },
    emit(event: string, payload: unknown) {
      sent.push([event, payload]);
      return socket;
    },
  };
  const deliver = (event: string, payload?: unknown) => listeners.get(event)?.forEach((l) => l(payload));
  return {
    socket: socket as unknown as Socket,
    sent,
    deliver,
    count: (event: string) => listeners.get(event)?.length ?? 0,
  };
}

describe('useRealtime, the one owner of socket listeners', () => {
  it('fans one socket listener out to every handler; no store removes another', () => {
    const s = fakeSocket();
    const realtime = useRealtime(() => s.socket);
    const seen: string[] = [];
    const markets = (p: { step: string }) => seen.push(`markets:${p.step}`);
    const account = (p: { step: string }) => seen.push(`account:${p.step}`);
    realtime.on('funding', markets);
    realtime.on('funding', account);
    realtime.on('funding', markets); // registered again (a second follow()): still called once
    s.deliver('funding', { step: 'payments-0' });
    expect(seen).toEqual(['markets:payments-0', 'account:payments-0']);
    expect(s.count('funding')).toBe(1);
  });

  it('joins each room once, and again with a fresh payload after a reconnect', () => {
    const s = fakeSocket();
    const realtime = useRealtime(() => s.socket);
    realtime.leaveAll();
    let since = 1;
    realtime.join('account:A', () => ({ account: 'A', since }));
    realtime.join('account:A', () => ({ account: 'A', since: -1 }));
    expect(s.sent).toEqual([['subscribe', { account: 'A', since: 1 }]]);
    since = 7;
    s.deliver('connect');
    expect(s.sent.at(-1)).toEqual(['subscribe', { account: 'A', since: 7 }]);
    realtime.leaveAll();
    s.deliver('connect');
    expect(s.sent).toHaveLength(2);
  });
});
