// Broker log.* settings as topic defaults: a value the topic rules refuse names the broker
// setting the operator wrote.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadBrokerConfig } from '../../src/broker/config.js';
import { brokerDefaultLogConfig, validateTopicConfigs } from '../../src/broker/topic-config.js';
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js';

test('a refused broker default names the broker setting', () => {
  const config = (overrides: Record<string, string>) => loadBrokerConfig({ overrides });
  assert.throws(
    () => brokerDefaultLogConfig(config({ 'log.segment.bytes': '65536' })),
    (e: unknown) =>
      e instanceof ConfigError &&
      /'65536' for setting log\.segment\.bytes: must be at least/.test(e.message),
  );
  assert.equal(
    brokerDefaultLogConfig(config({ 'log.retention.minutes': '5' })).retentionMs,
    300_000,
  );
});

test('topic overrides are checked before they are stored', () => {
  validateTopicConfigs({ 'retention.ms': '1000', 'cleanup.policy': 'compact,delete' });
  const refused: Record<string, string>[] = [
    { 'retention.ms': 'soon' },
    { 'log.retention.ms': '1' },
    { 'segment.bytes': '10' },
  ];
  for (const bad of refused) {
    assert.throws(
      () => validateTopicConfigs(bad),
      (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_CONFIG,
    );
  }
});
