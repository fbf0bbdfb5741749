import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { io, type Socket } from 'socket.io-client';
import { api, currentToken, setToken, whenSessionExpires } from '../lib/api';
import { devWallet } from '../wallet/dev-wallet';
import { connectStandard, standardWallets } from '../wallet/standard';
import type { TerminalWallet } from '../wallet/types';
import type { Wallet } from '@wallet-standard/base';

export interface Session {
  wallet: string;
  roles: string[];
  expiresAt: string;
}

/**
 * The wallet, the Sign-In With Solana session and the live connection. The token lives in localStorage
 * so pop-out windows share it; each window has its own socket.
 */
export const useSessionStore = defineStore('session', () => {
  const wallet = shallowRef<TerminalWallet | null>(null);
  const session = ref<Session | null>(null);
  const error = ref<string | null>(null);
  const socket = shallowRef<Socket | null>(null);
  const connected = ref(false);
  const available = shallowRef<Wallet[]>(standardWallets());
  const isOperator = computed(() => session.value?.roles.includes('operator') ?? false);

  async function restore(): Promise<void> {
    if (!currentToken()) return;
    try {
      session.value = await api<Session>('/v1/auth/session');
      if (localStorage.getItem('qd.walletKind') === 'dev') wallet.value = devWallet();
      openSocket();
    } catch {
      setToken(null);
    }
  }

  async function signIn(kind: 'dev' | Wallet): Promise<void> {
    error.value = null;
    try {
      const w = kind === 'dev' ? devWallet() : await connectStandard(kind);
      const { nonce, message } = await api<{ nonce: string; message: string }>('/v1/auth/nonce', {
        body: { wallet: w.publicKey },
      });
      const signature = await w.signMessage(new TextEncoder().encode(message));
      const created = await api<Session & { token: string }>('/v1/auth/session', {
        body: { nonce, signature: btoa(String.fromCharCode(...signature)) },
      });
      setToken(created.token);
      localStorage.setItem('qd.walletKind', kind === 'dev' ? 'dev' : 'standard');
      wallet.value = w;
      session.value = { wallet: created.wallet, roles: created.roles, expiresAt: created.expiresAt };
      openSocket();
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    }
  }

  async function signOut(): Promise<void> {
    await api('/v1/auth/session', { method: 'DELETE' }).catch(() => undefined);
    socket.value?.disconnect();
    socket.value = null;
    await wallet.value?.disconnect?.();
    wallet.value = null;
    session.value = null;
    setToken(null);
  }

  function openSocket(): void {
    socket.value?.disconnect();
    const s = io({ auth: { token: currentToken() }, transports: ['websocket'] });
    s.on('connect', () => (connected.value = true));
    s.on('disconnect', () => (connected.value = false));
    socket.value = s;
  }

  whenSessionExpires(() => {
    socket.value?.disconnect();
    socket.value = null;
    session.value = null;
    setToken(null);
    error.value = 'Your session has ended: sign in again.';
  });

  return {
    wallet,
    session,
    error,
    socket,
    connected,
    available,
    isOperator,
    restore,
    signIn,
    signOut,
    refreshWallets: () => (available.value = standardWallets()),
  };
});
