// How topic and broker settings are described: sources and synonyms for each way a broker can
// be configured, and a line of documentation for every topic setting storage knows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBrokerConfig } from '../../src/broker/config.js';
import { describeBrokerConfigs, describeTopicConfigs } from '../../src/broker/config-describer.js';
import { TOPIC_CONFIG_DOCS } from '../../src/broker/topic-config-docs.js';
import { LOG_CONFIG_NAMES } from '../../src/storage/log-config.js';

const find = <T extends { name: string }>(list: T[], name: string) =>
  list.find((c) => c.name === name)!;

test('every topic setting has one line of documentation, and nothing else does', () => {
  assert.deepEqual(Object.keys(TOPIC_CONFIG_DOCS).sort(), [...LOG_CONFIG_NAMES].sort());
  for (const [name, doc] of Object.entries(TOPIC_CONFIG_DOCS)) {
    assert.ok(doc.length > 10 && !doc.includes('\n'), name);
  }
});

test('a built-in default is DEFAULT_CONFIG with the broker setting that supplies it', () => {
  const entries = describeTopicConfigs(loadBrokerConfig({}), {});
  const retention = find(entries, 'retention.ms');
  assert.equal(retention.value, '604800000');
  assert.equal(retention.source, 5);
  assert.deepEqual(retention.synonyms, [{ name: 'log.retention.hours', value: '168', source: 5 }]);
  const flush = find(entries, 'flush.ms');
  assert.deepEqual(
    flush.synonyms.map((s) => s.name),
    ['log.flush.scheduler.interval.ms'],
  );
  assert.deepEqual(find(entries, 'compression.type').synonyms, []);
});

test('broker settings from a file, the environment or --override are STATIC_BROKER_CONFIG', () => {
  const config = loadBrokerConfig({
    file: 'server.properties',
    readFile: () => 'log.retention.minutes=10\n',
    env: { SAMSA_LOG_ROLL_MS: '5000' },
    overrides: { 'min.insync.replicas': '2' },
  });
  const entries = describeTopicConfigs(config, { 'segment.ms': '7000' });
  const brief = (name: string) => {
    const e = find(entries, name);
    return [e.value, e.source, e.synonyms.map((s) => `${s.name}=${s.value}@${s.source}`)];
  };
  assert.deepEqual(brief('retention.ms'), [
    '600000',
    4,
    ['log.retention.minutes=10@4', 'log.retention.hours=168@5'],
  ]);
  assert.deepEqual(brief('segment.ms'), [
    '7000',
    1,
    ['segment.ms=7000@1', 'log.roll.ms=5000@4', 'log.roll.hours=168@5'],
  ]);
  assert.deepEqual(brief('min.insync.replicas'), [
    '2',
    4,
    ['min.insync.replicas=2@4', 'min.insync.replicas=1@5'],
  ]);

  const broker = describeBrokerConfigs(config, 'broker');
  const minutes = find(broker, 'log.retention.minutes');
  assert.deepEqual([minutes.value, minutes.source, minutes.readOnly], ['10', 4, true]);
  assert.deepEqual(minutes.synonyms, [{ name: 'log.retention.minutes', value: '10', source: 4 }]);
  assert.deepEqual(describeBrokerConfigs(config, 'cluster'), []);
});
