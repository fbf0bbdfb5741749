import { describe, expect, it } from 'vitest';
import { Keypair, Message, PublicKey, SystemProgram, Transaction, TransactionInstruction } from '@solana/web3.js';
import { compileLegacyMessage } from './legacy-message';
import { signWire } from './keeper-send';

const key = () => Keypair.generate().publicKey;

/** What a message says, independent of the order of its keys: each instruction's program, accounts with roles, data. */
function meaning(message: Message) {
  const role = (i: number) => ({
    key: message.accountKeys[i]!.toBase58(),
    signer: message.isAccountSigner(i),
    writable: message.isAccountWritable(i),
  });
  return {
    payer: message.accountKeys[0]!.toBase58(),
    blockhash: message.recentBlockhash,
    keys: message.accountKeys.map((_, i) => role(i)).sort((a, b) => a.key.localeCompare(b.key)),
    instructions: message.instructions.map((ix) => ({
      program: message.accountKeys[ix.programIdIndex]!.toBase58(),
      accounts: ix.accounts.map(role),
      data: ix.data,
    })),
  };
}

describe('compileLegacyMessage', () => {
  it('says what web3.js compiles, for instructions with shared, signing, writable and repeated keys', () => {
    for (let n = 0; n < 30; n++) {
      const payer = key();
      const shared = [key(), key(), key()];
      const program = key();
      const ixs = Array.from(
        { length: 1 + (n % 3) },
        (_, i) =>
          new TransactionInstruction({
            programId: i === 2 ? SystemProgram.programId : program,
            keys: [
              { pubkey: payer, isSigner: true, isWritable: true },
              { pubkey: shared[i % 3]!, isSigner: false, isWritable: i % 2 === 0 },
              { pubkey: shared[(i + 1) % 3]!, isSigner: false, isWritable: false },
              ...Array.from({ length: n }, () => ({ pubkey: key(), isSigner: false, isWritable: n % 2 === 1 })),
            ],
            data: Buffer.from(Array.from({ length: n * 7 }, (_, b) => (b * 31 + n) & 0xff)),
          }),
      );
      const blockhash = key().toBase58();
      const reference = new Transaction({ feePayer: payer, recentBlockhash: blockhash }).add(...ixs).compileMessage();

      const ours = Message.from(compileLegacyMessage(payer, ixs, blockhash));
      expect(meaning(ours)).toEqual(meaning(reference));
      expect(ours.header).toEqual(reference.header);
      expect(ours.accountKeys[0]!.equals(payer)).toBe(true);
    }
  });

  it('gives a signed transaction web3.js reads back and verifies', () => {
    const keeper = Keypair.generate();
    const ix = SystemProgram.transfer({ fromPubkey: keeper.publicKey, toPubkey: key(), lamports: 5 });
    const signed = signWire(compileLegacyMessage(keeper.publicKey, [ix], key().toBase58()), keeper);
    const tx = Transaction.from(signed.wire);
    expect(tx.verifySignatures()).toBe(true);
    expect(tx.instructions[0]!.data).toEqual(ix.data);
    expect(tx.instructions[0]!.keys).toEqual(ix.keys);
  });

  it('encodes lengths past 127 as compact-u16 and refuses a malformed blockhash', () => {
    const payer = key();
    const ix = new TransactionInstruction({ programId: key(), keys: [], data: Buffer.alloc(300, 7) });
    const message = Message.from(compileLegacyMessage(payer, [ix], key().toBase58()));
    expect(Buffer.from(message.compiledInstructions[0]!.data)).toEqual(Buffer.alloc(300, 7));
    expect(() => compileLegacyMessage(payer, [ix], new PublicKey(1).toBase58().slice(0, 10))).toThrow(/32 bytes/);
  });
});
