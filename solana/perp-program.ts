import { AnchorProvider, Program, type Wallet } from '@coral-xyz/anchor';
import {
  Ed25519Program,
  PublicKey,
  SYSVAR_INSTRUCTIONS_PUBKEY,
  type Connection,
  type TransactionInstruction,
} from '@solana/web3.js';
import { QUANTDESK_PERP_IDL, type QuantdeskPerp } from '../programs/quantdesk-perp/idl/quantdesk_perp';
import { encodeOrderMessage, type OrderMessage } from './order-message';

export type PerpProgram = Program<QuantdeskPerp>;
export const PERP_PROGRAM_ID = new PublicKey(QUANTDESK_PERP_IDL.address);

/** An Anchor client of quantdesk-perp built from the committed IDL over any Connection. */
export function createPerpProgram(connection: Connection, wallet: Wallet): PerpProgram {
  const provider = new AnchorProvider(connection, wallet, {
    commitment: 'confirmed',
    preflightCommitment: 'confirmed',
  });
  return new Program<QuantdeskPerp>(QUANTDESK_PERP_IDL, provider);
}

const u16le = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const pda = (...seeds: Buffer[]) => PublicKey.findProgramAddressSync(seeds, PERP_PROGRAM_ID)[0];
/** The fixed addresses (global, vault, markets), derived once: a derivation costs curve checks. */
const derived = new Map<string, PublicKey>();
const once = (key: string, derive: () => PublicKey) => {
  let address = derived.get(key);
  if (!address) derived.set(key, (address = derive()));
  return address;
};

/** The program's addresses, derived exactly as its seeds say. */
export const perpAddresses = {
  global: () => once('global', () => pda(Buffer.from('global'))),
  vault: () => once('vault', () => pda(Buffer.from('vault'))),
  market: (marketIndex: number) => once(`market:${marketIndex}`, () => pda(Buffer.from('market'), u16le(marketIndex))),
  user: (authority: PublicKey, subAccountId = 0) => pda(Buffer.from('user'), authority.toBuffer(), u16le(subAccountId)),
};

export interface FillAccounts {
  keeper: PublicKey;
  market: PublicKey;
  oracle: PublicKey;
  /** (market, oracle) of the user's other open positions, for the margin check. */
  otherMarkets?: { market: PublicKey; oracle: PublicKey }[];
}

/**
 * The two instructions of a fill: the Ed25519 verification of the trader's signed order (checked by the
 * runtime) and fill_order, which reads the order from it.
 */
export async function fillOrderInstructions(
  program: PerpProgram,
  order: OrderMessage,
  authority: PublicKey,
  signature: Uint8Array,
  accounts: FillAccounts,
): Promise<TransactionInstruction[]> {
  const verify = Ed25519Program.createInstructionWithPublicKey({
    publicKey: authority.toBytes(),
    message: encodeOrderMessage(order),
    signature,
  });
  const fill = await program.methods
    .fillOrder()
    .accountsStrict({
      keeper: accounts.keeper,
      global: perpAddresses.global(),
      user: order.user,
      market: accounts.market,
      oracle: accounts.oracle,
      instructions: SYSVAR_INSTRUCTIONS_PUBKEY,
    })
    .remainingAccounts(marketMetas(accounts.otherMarkets ?? []))
    .instruction();
  return [verify, fill];
}

export function marketMetas(markets: { market: PublicKey; oracle: PublicKey }[]) {
  return markets.flatMap(({ market, oracle }) => [
    { pubkey: market, isSigner: false, isWritable: false },
    { pubkey: oracle, isSigner: false, isWritable: false },
  ]);
}
