// Regenerates domain/perp/vectors.json (run by `npm run vectors`) from a fixed seed.
import { writeFileSync } from 'node:fs';
import { generateVectors } from '../domain/perp/vectors';

const file = new URL('../domain/perp/vectors.json', import.meta.url);
const vectors = generateVectors();
writeFileSync(file, `${JSON.stringify(vectors, null, 1)}\n`);
console.error(`wrote ${vectors.cases.length} cases to domain/perp/vectors.json`);
