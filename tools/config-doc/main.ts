// `node --import tsx tools/config-doc/main.ts`: rewrites the setting tables in
// docs/configuration.md from the definitions in src/ (the prose around them is hand-written).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateDocument } from './render.js';

const path = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '../..'),
  'docs/configuration.md',
);
const before = readFileSync(path, 'utf8');
const after = updateDocument(before);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? `${path} is up to date` : `updated ${path}`);
