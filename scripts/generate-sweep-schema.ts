// Writes schemas/sweep.schema.json from the zod schema of sweep files: `npx tsx scripts/generate-sweep-schema.ts`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { sweepJsonSchema } from '../src/core/sweeps/json-schema';

async function main(): Promise<void> {
  const path = 'schemas/sweep.schema.json';
  const options = { ...(await resolveConfig(path)), parser: 'json' };
  mkdirSync('schemas', { recursive: true });
  writeFileSync(path, await format(JSON.stringify(sweepJsonSchema()), options));
}

void main();
