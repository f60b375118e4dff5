import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  loadBrokerConfig,
  parseListener,
  parseProperties,
  settingsFromEnv,
} from '../../src/broker/config.js';

test('defaults work for one node on a laptop', () => {
  const c = loadBrokerConfig({});
  assert.deepEqual(c.list('listeners'), ['PLAINTEXT://127.0.0.1:9092']);
  assert.equal(c.dataDir, './data');
  assert.equal(c.logRetentionMs, 168 * 3_600_000);
  assert.equal(c.long('log.flush.interval.messages'), Number.POSITIVE_INFINITY);
  assert.equal(c.bool('auto.create.topics.enable'), true);
});

test('file < env < override, and Kafka aliases', () => {
  const c = loadBrokerConfig({
    file: 'server.properties',
    readFile: () =>
      '# comment\nbroker.id=7\nlog.dir=/var/lib/samsa\nnum.partitions = 3\nlog.retention.hours=1\n',
    env: { SAMSA_NUM_PARTITIONS: '4', SAMSA_LOG_RETENTION_MINUTES: '5', PATH: '/bin' },
    overrides: { 'num.partitions': '5' },
  });
  assert.equal(c.nodeId, 7);
  assert.equal(c.dataDir, '/var/lib/samsa');
  assert.equal(c.int('num.partitions'), 5);
  assert.equal(c.get('num.partitions')?.source, 'override');
  assert.equal(c.logRetentionMs, 5 * 60_000, 'minutes win over hours');
});

test('bad values name the setting', () => {
  assert.throws(
    () => loadBrokerConfig({ overrides: { 'num.partitions': 'many' } }),
    (e: unknown) => e instanceof ConfigError && /num\.partitions/.test(e.message),
  );
  assert.throws(() => loadBrokerConfig({ overrides: { 'num.partitions': '0' } }), /at least 1/);
  assert.throws(
    () => loadBrokerConfig({ overrides: { listeners: 'localhost:9092' } }),
    /listeners/,
  );
  assert.throws(
    () => loadBrokerConfig({ overrides: { 'auto.create.topics.enable': 'yes' } }),
    /true or false/,
  );
  assert.throws(
    () => loadBrokerConfig({ file: '/nonexistent/server.properties' }),
    /Cannot read config file/,
  );
  // A backslash at the end of a line continues it, as in Java properties files.
  assert.deepEqual(
    [...parseProperties('a b\\\n  c\nx:y').entries()],
    [
      ['a', 'bc'],
      ['x', 'y'],
    ],
  );
});

test('environment names map like Kafka container images', () => {
  const m = settingsFromEnv({
    SAMSA_LOG_RETENTION_MS: '1',
    SAMSA_A__B: '2',
    SAMSA_C___D: '3',
    OTHER: 'x',
  });
  assert.deepEqual(
    [...m.entries()],
    [
      ['log.retention.ms', '1'],
      ['a_b', '2'],
      ['c-d', '3'],
    ],
  );
});

test('listeners parse with IPv6 and empty hosts', () => {
  assert.deepEqual(parseListener('PLAINTEXT://[::1]:9092'), {
    name: 'PLAINTEXT',
    host: '::1',
    port: 9092,
  });
  assert.deepEqual(parseListener('plaintext://:0'), {
    name: 'PLAINTEXT',
    host: '0.0.0.0',
    port: 0,
  });
});
