// docs/configuration.md's tables are generated from the setting definitions; this fails when
// someone changes a definition without regenerating them (node --import tsx tools/config-doc/main.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BROKER_CONFIG_DEFS, settingsFromEnv } from '../../src/broker/config.js';
import { LOG_CONFIG_NAMES } from '../../src/storage/log-config.js';
import {
  envVarFor,
  ignoredSettingNames,
  renderTables,
  updateDocument,
} from '../../tools/config-doc/render.js';

const DOC = join(import.meta.dirname, '../../docs/configuration.md');

test('docs/configuration.md has the tables the definitions give', () => {
  const doc = readFileSync(DOC, 'utf8');
  assert.equal(
    updateDocument(doc),
    doc,
    'docs/configuration.md is stale: run node --import tsx tools/config-doc/main.ts',
  );
  const tables = renderTables();
  for (const d of BROKER_CONFIG_DEFS) assert.ok(tables.includes(`| \`${d.name}\` |`), d.name);
  for (const name of LOG_CONFIG_NAMES) assert.ok(tables.includes(`| \`${name}\` |`), name);
});

test('the documented environment variables set the settings they are listed for', () => {
  const names = [...BROKER_CONFIG_DEFS.map((d) => d.name), 'a_b-c.d'];
  const env = Object.fromEntries(names.map((n) => [envVarFor(n), 'x']));
  assert.deepEqual([...settingsFromEnv(env).keys()].sort(), [...names].sort());
});

test('settings Samsa supports are never listed as ignored', () => {
  const ignored = renderTables().split('### Kafka settings accepted and ignored')[1]!;
  for (const d of BROKER_CONFIG_DEFS) assert.ok(!ignored.includes(`\`${d.name}\``), d.name);
  assert.ok(ignoredSettingNames().length > 20);
});
