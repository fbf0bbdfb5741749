import { QUANTDESK_PERP_IDL } from '../programs/quantdesk-perp/idl/quantdesk_perp';

const names = new Map<number, string>(QUANTDESK_PERP_IDL.errors.map((e) => [e.code, e.name]));

/**
 * The program's named error (e.g. "InsufficientCollateral") behind a failed send or simulation, read
 * from the custom error code the runtime reports; undefined for any other failure. Natively hosted
 * programs do not emit Anchor's log lines, so the code is the reliable part.
 */
export function programErrorName(err: unknown): string | undefined {
  const e = err as { message?: string; logs?: string[]; transactionLogs?: string[] };
  const text = [e?.message ?? '', ...(e?.logs ?? []), ...(e?.transactionLogs ?? [])].join('\n');
  const match = /custom program error: 0x([0-9a-f]+)/i.exec(text);
  return match ? names.get(parseInt(match[1]!, 16)) : undefined;
}

/** The program's named error for a transaction status error ({ InstructionError: [i, { Custom: n }] }). */
export function transactionErrorName(err: unknown): string {
  const ix = (err as { InstructionError?: [number, { Custom?: number } | string] } | null)?.InstructionError;
  const custom = typeof ix?.[1] === 'object' ? ix[1].Custom : undefined;
  return (custom !== undefined ? names.get(custom) : undefined) ?? `TransactionFailed: ${JSON.stringify(err)}`;
}
