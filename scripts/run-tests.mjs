#!/usr/bin/env node
// Runs the test suites with Node's own test runner, loading TypeScript through tsx.
//   node scripts/run-tests.mjs unit [path-prefix ...]    everything but test/compat
//   node scripts/run-tests.mjs compat [path-prefix ...]  third-party clients (needs scripts/install-compat.sh)
// Node 20's --test does not expand globs or pick up .ts files, hence this file walk.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const [suite = 'unit', ...prefixes] = process.argv.slice(2);
if (suite !== 'unit' && suite !== 'compat') {
  console.error(`run-tests: unknown suite '${suite}' (use 'unit' or 'compat')`);
  process.exit(2);
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.test.ts')) out.push(relative('.', path));
  }
  return out;
}

const inCompat = (f) => f.startsWith('test/compat/');
const files = walk('test')
  .filter((f) => (suite === 'compat' ? inCompat(f) : !inCompat(f)))
  .filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p)));

if (files.length === 0) {
  console.error(`run-tests: no test files found for suite '${suite}'`);
  process.exit(1);
}

const concurrency = process.env.SAMSA_TEST_CONCURRENCY ?? (suite === 'compat' ? '1' : '2');
const result = spawnSync(
  process.execPath,
  // A hung test fails after 5 minutes instead of holding CI until its own deadline.
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=300000',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
