// `npm run file-map [-- --check]`: regenerates the file map in docs/architecture.md, or with
// --check exits 1 when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { buildFileMap, replaceFileMap } from './file-map.js';

const path = 'docs/architecture.md';
const doc = readFileSync(path, 'utf8');
const next = replaceFileMap(doc, buildFileMap());
if (process.argv.includes('--check')) {
  if (next !== doc) {
    console.error(`${path}: the file map is stale; run 'npm run file-map'`);
    process.exit(1);
  }
} else if (next !== doc) {
  writeFileSync(path, next);
  console.log(`${path}: file map updated`);
}
