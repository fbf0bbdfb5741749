import { describe, expect, it, vi } from 'vitest';
import { Keypair } from '@solana/web3.js';
import { perpAddresses } from '../../solana/perp-program';
import { ownsSubAccount } from './middleware';

describe('ownsSubAccount', () => {
  it("knows a wallet's sub-accounts 0-255 and nobody else's", () => {
    const wallet = Keypair.generate().publicKey;
    const other = Keypair.generate().publicKey;
    for (const id of [0, 7, 255])
      expect(ownsSubAccount(wallet.toBase58(), perpAddresses.user(wallet, id).toBase58())).toBe(true);
    expect(ownsSubAccount(wallet.toBase58(), perpAddresses.user(other, 0).toBase58())).toBe(false);
    expect(ownsSubAccount(wallet.toBase58(), undefined)).toBe(false);
    expect(ownsSubAccount('not-a-key', perpAddresses.user(wallet, 0).toBase58())).toBe(false);
  });

  it('derives a wallet once: a second check is a lookup', () => {
    const wallet = Keypair.generate().publicKey;
    const account = perpAddresses.user(wallet, 3).toBase58();
    const strangers = [0, 1].map(() => perpAddresses.user(Keypair.generate().publicKey, 0).toBase58());
    const derive = vi.spyOn(perpAddresses, 'user');
    try {
      expect(ownsSubAccount(wallet.toBase58(), account)).toBe(true);
      expect(derive).toHaveBeenCalledTimes(4); // sub-accounts 0-3, as far as the lookup needed
      for (let i = 0; i < 10; i++) expect(ownsSubAccount(wallet.toBase58(), account)).toBe(true);
      expect(derive).toHaveBeenCalledTimes(4);
      expect(ownsSubAccount(wallet.toBase58(), strangers[0]!)).toBe(false);
      expect(derive).toHaveBeenCalledTimes(256); // a stranger's account: the rest derived once
      expect(ownsSubAccount(wallet.toBase58(), strangers[1]!)).toBe(false);
      expect(derive).toHaveBeenCalledTimes(256);
    } finally {
      derive.mockRestore();
    }
  });
});
