import { describe, expect, it } from 'vitest';
import { Keypair, SystemProgram, Transaction } from '@solana/web3.js';
import { signFast } from './keeper-send';

describe('signFast', () => {
  it('produces the signature web3.js would, and one that verifies', () => {
    for (let i = 0; i < 20; i++) {
      const keeper = Keypair.generate();
      const build = () => {
        const tx = new Transaction().add(
          SystemProgram.transfer({
            fromPubkey: keeper.publicKey,
            toPubkey: Keypair.generate().publicKey,
            lamports: i + 1,
          }),
        );
        tx.feePayer = keeper.publicKey;
        tx.recentBlockhash = Keypair.generate().publicKey.toBase58();
        return tx;
      };
      const fast = build();
      const reference = Transaction.populate(fast.compileMessage());
      signFast(fast, keeper);
      reference.sign(keeper);
      expect(Buffer.from(fast.signature!)).toEqual(Buffer.from(reference.signature!));
      expect(fast.verifySignatures()).toBe(true);
    }
  });
});
