import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildFileMap, describe, replaceFileMap } from '../../tools/file-map/file-map.js';

test('a header comment gives its first sentence', () => {
  assert.equal(describe('// One thing. And more.\n// Even more.\nimport x;'), 'One thing.');
  assert.equal(
    describe('#!/usr/bin/env bash\n# Installs\n# tools. Later.\nset -e'),
    'Installs tools.',
  );
  assert.equal(describe('/** A failure; one line. */\nexport class E {}'), 'A failure; one line.');
  assert.equal(describe('import x;'), '');
});

test('docs/architecture.md carries the current file map (run `npm run file-map`)', () => {
  const doc = readFileSync('docs/architecture.md', 'utf8');
  assert.equal(replaceFileMap(doc, buildFileMap()), doc);
});
