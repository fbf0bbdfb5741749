/** Fixed-point display: integers in, strings out; amounts never pass through floats. */
export function fixed(value: bigint | string | null | undefined, decimals: number, shown = 2): string {
  if (value === null || value === undefined || value === '') return '—';
  const v = BigInt(value);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const frac = (abs % scale).toString().padStart(decimals, '0').slice(0, shown);
  return `${neg ? '-' : ''}${whole.toLocaleString('en-US')}${shown > 0 ? `.${frac}` : ''}`;
}

export const usd = (v: bigint | string | null | undefined, shown = 2) => fixed(v, 6, shown);
export const base = (v: bigint | string | null | undefined, shown = 3) => fixed(v, 9, shown);
export const bps = (v: bigint | string | null | undefined) =>
  v === null || v === undefined ? '—' : `${fixed(v, 2, 2)}%`;

/** A decimal string typed by a trader ("12.5") as an integer of `decimals` places, or null when malformed. */
export function parseDecimal(text: string, decimals: number): bigint | null {
  const m = /^\s*(-?)(\d{0,15})(?:\.(\d*))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const frac = (m[3] ?? '').slice(0, decimals).padEnd(decimals, '0');
  const v = BigInt(m[2] || '0') * 10n ** BigInt(decimals) + BigInt(frac || '0');
  return m[1] === '-' ? -v : v;
}

export const shortKey = (key: string) => `${key.slice(0, 4)}…${key.slice(-4)}`;
