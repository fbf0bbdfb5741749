// Rows bound as one array parameter per column (platform/unnest.ts), as the liquidation batch's books and
// the run records write them: every value comes back as it went in, whatever its characters, and the
// caller's ON CONFLICT clause applies per row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inArray, sql } from 'drizzle-orm';
import { insuranceFundLedger, liquidations } from '../../drizzle/schema';
import { insertByColumns } from '../../platform/unnest';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({}, { worker: false });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('insertByColumns', () => {
  it('writes every row of a batch exactly, nulls and awkward text included, in one statement', async () => {
    const awkward = ['plain', 'a "quoted" one', 'back\\slash', 'comma, and {braces}', 'NULL', '', 'ünïcødé ✓'];
    const rows = awkward.map((text, i) => ({
      id: `${h.id}:${i}`,
      account: text,
      wallet: `w-${i}`,
      marketIndex: i,
      closedBase: 10n ** 18n + BigInt(i), // beyond a double's exact integers
      price: -BigInt(i),
      fee: 0n,
      insurancePaid: 5n,
      socializedLoss: 0n,
      signature: `sig-${i}`,
      createdAt: new Date(Date.UTC(2026, 10, 28, 0, 0, i, 123)),
      steps: i + 1,
      liquidationSeq: i % 2 ? null : BigInt(i),
    }));
    const keys = Object.keys(rows[0]!) as (keyof (typeof rows)[number])[];
    await h.db.execute(sql`${insertByColumns(liquidations, keys, rows)} on conflict do nothing`);
    // Written again with other values: ON CONFLICT DO NOTHING keeps the first ones.
    await h.db.execute(
      sql`${insertByColumns(
        liquidations,
        keys,
        rows.map((r) => ({ ...r, fee: 99n })),
      )} on conflict do nothing`,
    );
    const back = await h.db
      .select()
      .from(liquidations)
      .where(
        inArray(
          liquidations.id,
          rows.map((r) => r.id),
        ),
      );
    const byId = new Map(back.map((r) => [r.id, r]));
    expect(back).toHaveLength(rows.length);
    for (const r of rows) expect(byId.get(r.id)).toEqual(r);

    const ledger = [
      { entryKey: `${h.id}:ledger`, delta: -(2n ** 62n), reason: 'bankruptcy cover', createdAt: new Date() },
    ];
    await h.db.execute(
      sql`${insertByColumns(insuranceFundLedger, ['entryKey', 'delta', 'reason', 'createdAt'], ledger)} on conflict do nothing`,
    );
    const [entry] = await h.db
      .select()
      .from(insuranceFundLedger)
      .where(inArray(insuranceFundLedger.entryKey, [ledger[0]!.entryKey]));
    expect(entry).toEqual(ledger[0]);
  });
});
