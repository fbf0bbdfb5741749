import { describe, expect, it } from 'vitest';
import { Keypair, SystemProgram, Transaction } from '@solana/web3.js';
import bs58 from 'bs58';
import { signWire, wireFrom } from './keeper-send';

describe('signWire', () => {
  it('gives the bytes and the signature web3.js would, and a transaction that verifies', () => {
    for (let i = 0; i < 20; i++) {
      const keeper = Keypair.generate();
      const tx = new Transaction().add(
        SystemProgram.transfer({
          fromPubkey: keeper.publicKey,
          toPubkey: Keypair.generate().publicKey,
          lamports: i + 1,
        }),
      );
      tx.feePayer = keeper.publicKey;
      tx.recentBlockhash = Keypair.generate().publicKey.toBase58();
      const reference = Transaction.populate(tx.compileMessage());
      reference.sign(keeper);

      const signed = signWire(tx.serializeMessage(), keeper);
      expect(signed.wire).toEqual(reference.serialize());
      expect(signed.signature).toBe(bs58.encode(reference.signature!));
      expect(Transaction.from(signed.wire).verifySignatures()).toBe(true);
      expect(wireFrom(signed.wire.toString('base64'))).toEqual(signed);
    }
  });

  it('refuses a transaction that needs a second signer', () => {
    const [payer, other] = [Keypair.generate(), Keypair.generate()];
    const tx = new Transaction().add(
      SystemProgram.transfer({ fromPubkey: other.publicKey, toPubkey: payer.publicKey, lamports: 1 }),
    );
    tx.feePayer = payer.publicKey;
    tx.recentBlockhash = Keypair.generate().publicKey.toBase58();
    expect(() => signWire(tx.serializeMessage(), payer)).toThrow(/single signer/);
  });
});
