import type { RpcPool } from './rpc-pool';

// Account reads through the pool as the node sends them (base64), without web3.js's client: the keeper's,
// the risk monitor's and the books' frequent reads.

interface AccountJson {
  owner: string;
  data: [string, string];
}

/** An account's owner (base58) and data. */
export interface AccountBytes {
  owner: string;
  data: Buffer;
}

const bytesOf = (value: AccountJson | null): AccountBytes | null =>
  value ? { owner: value.owner, data: Buffer.from(value.data[0], 'base64') } : null;

/** One account's data, or null when it does not exist. */
export async function accountData(pool: RpcPool, what: string, address: string): Promise<Buffer | null> {
  const { value } = await pool.request<{ value: AccountJson | null }>(what, 'getAccountInfo', [
    address,
    { encoding: 'base64', commitment: 'confirmed' },
  ]);
  return bytesOf(value)?.data ?? null;
}

/**
 * Many accounts in one request (getMultipleAccounts, at most 100), as the node sends them, with the slot
 * it read them at; null for an absent one. The risk monitor's and the books' frequent reads.
 */
export async function fetchAccountsData(
  pool: RpcPool,
  what: string,
  addresses: readonly string[],
): Promise<{ slot: number; values: (AccountBytes | null)[] }> {
  const { context, value } = await pool.request<{ context: { slot: number }; value: (AccountJson | null)[] }>(
    what,
    'getMultipleAccounts',
    [addresses, { encoding: 'base64', commitment: 'confirmed' }],
  );
  return { slot: context.slot, values: value.map(bytesOf) };
}
