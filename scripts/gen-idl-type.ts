// Writes programs/quantdesk-perp/idl/quantdesk_perp.ts: the IDL's TypeScript type in the camelCase form
// @coral-xyz/anchor's Program exposes at run time. Run by `npm run idl` after the JSON is rebuilt.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { idlTypeModule } from '../programs/quantdesk-perp/idl/type-module';

const dir = fileURLToPath(new URL('../programs/quantdesk-perp/idl/', import.meta.url));
const json = readFileSync(`${dir}quantdesk_perp.json`, 'utf8');
writeFileSync(`${dir}quantdesk_perp.ts`, idlTypeModule(json));
console.error('wrote programs/quantdesk-perp/idl/quantdesk_perp.ts');
