import type { PublicKey, TransactionInstruction } from '@solana/web3.js';
import bs58 from 'bs58';

/**
 * Compiles instructions into a legacy transaction message paid by `payer`, the bytes a signer signs.
 *
 * Any valid ordering of the account keys makes the same transaction for the program (an instruction names
 * its accounts by index); web3.js orders each group by the keys' base58 text, which costs a base58
 * encoding of every key of every transaction, a keeper's largest CPU cost in a liquidation burst. Here the
 * keys keep the order in which they first appear (the payer first), grouped as the runtime requires:
 * writable signers, read-only signers, writable non-signers, read-only non-signers. A key named twice
 * takes the union of its roles; program IDs are read-only non-signers unless named otherwise.
 */
export function compileLegacyMessage(
  payer: PublicKey,
  instructions: readonly TransactionInstruction[],
  recentBlockhash: string,
): Buffer {
  // Each key once (by its bytes), with the union of its roles; each PublicKey object read once.
  const keys = new Map<string, { bytes: Buffer; signer: boolean; writable: boolean; index: number }>();
  const idOf = new Map<PublicKey, string>();
  const add = (key: PublicKey, signer: boolean, writable: boolean) => {
    let id = idOf.get(key);
    if (id === undefined) idOf.set(key, (id = key.toBuffer().toString('latin1')));
    const known = keys.get(id);
    if (known) {
      known.signer ||= signer;
      known.writable ||= writable;
    } else keys.set(id, { bytes: Buffer.from(id, 'latin1'), signer, writable, index: -1 });
  };
  add(payer, true, true);
  for (const ix of instructions) {
    for (const meta of ix.keys) add(meta.pubkey, meta.isSigner, meta.isWritable);
    add(ix.programId, false, false);
  }
  const all = [...keys.values()];
  const [signedWritable, signedReadonly, writable, readonly] = [
    all.filter((k) => k.signer && k.writable),
    all.filter((k) => k.signer && !k.writable),
    all.filter((k) => !k.signer && k.writable),
    all.filter((k) => !k.signer && !k.writable),
  ];
  const ordered = [...signedWritable, ...signedReadonly, ...writable, ...readonly];
  if (ordered.length > 256) throw new RangeError('a legacy message holds at most 256 account keys');
  ordered.forEach((k, i) => (k.index = i));
  const indexOf = (key: PublicKey) => keys.get(idOf.get(key)!)!.index;
  const blockhash = Buffer.from(bs58.decode(recentBlockhash));
  if (blockhash.length !== 32) throw new RangeError(`a blockhash is 32 bytes, not ${blockhash.length}`);

  const parts: Buffer[] = [
    Buffer.of(signedWritable.length + signedReadonly.length, signedReadonly.length, readonly.length),
    shortVec(ordered.length),
    ...ordered.map((k) => k.bytes),
    blockhash,
    shortVec(instructions.length),
  ];
  for (const ix of instructions) {
    parts.push(
      Buffer.of(indexOf(ix.programId)),
      shortVec(ix.keys.length),
      Buffer.from(ix.keys.map((meta) => indexOf(meta.pubkey))),
      shortVec(ix.data.length),
      ix.data,
    );
  }
  return Buffer.concat(parts);
}

/** Solana's compact-u16 length ("shortvec"): 7 bits per byte, the high bit saying another byte follows. */
function shortVec(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`not a compact-u16: ${n}`);
  const out: number[] = [];
  let rest = n;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if (rest === 0) {
      out.push(byte);
      return Buffer.from(out);
    }
    out.push(byte | 0x80);
  }
}
