import { describe, expect, it } from 'vitest';
import BN from 'bn.js';
import { BorshAccountsCoder, BorshInstructionCoder, type Idl } from '@coral-xyz/anchor';
import { readFileSync } from 'node:fs';
import { QUANTDESK_PERP_IDL } from '../../programs/quantdesk-perp/idl/quantdesk_perp';
import { idlTypeModule } from '../../programs/quantdesk-perp/idl/type-module';

// The committed IDL is generated from the program by `npm run idl`; `npm test` checks it is current.
const idl = QUANTDESK_PERP_IDL as unknown as Idl;

describe('the committed quantdesk-perp IDL', () => {
  it('has a TypeScript type generated from the current JSON (npm run idl)', () => {
    const dir = new URL('../../programs/quantdesk-perp/idl/', import.meta.url);
    expect(readFileSync(new URL('quantdesk_perp.ts', dir), 'utf8')).toBe(
      idlTypeModule(readFileSync(new URL('quantdesk_perp.json', dir), 'utf8')),
    );
  });

  it('declares every instruction of the program', () => {
    expect(idl.instructions.map((i) => i.name).sort()).toEqual([
      'cancel_order_nonces',
      'deposit',
      'fill_order',
      'init_market',
      'init_user',
      'initialize',
      'liquidate',
      'resolve_bankruptcy',
      'set_authorities',
      'set_market_oracle',
      'set_market_paused',
      'update_funding',
      'update_market_params',
      'withdraw',
    ]);
  });

  it('lets @coral-xyz/anchor encode instructions offline', () => {
    const coder = new BorshInstructionCoder(idl);
    const data = coder.encode('deposit', { amount: new BN(1_500_000) });
    const discriminator = idl.instructions.find((i) => i.name === 'deposit')!.discriminator;
    expect([...data.subarray(0, 8)]).toEqual(discriminator);
    expect(new BN(data.subarray(8, 16), 'le').toString()).toBe('1500000');
  });

  it('decodes the account layouts it declares', () => {
    const coder = new BorshAccountsCoder(idl);
    expect(coder.size('User')).toBeGreaterThan(8 + 32);
    expect(idl.errors?.find((e) => e.name === 'InsufficientFreeCollateral')?.code).toBeGreaterThanOrEqual(6000);
  });
});
