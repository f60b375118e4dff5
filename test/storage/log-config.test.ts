import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_LOG_CONFIG,
  LOG_CONFIG_NAMES,
  LONG_MAX_STRING,
  logConfigToProps,
  nonDefaultLogConfigNames,
  parseLogConfig,
} from '../../src/storage/log-config.js';

describe('log config', () => {
  it("has Kafka's defaults", () => {
    const c = DEFAULT_LOG_CONFIG;
    assert.equal(c.segmentBytes, 1073741824);
    assert.equal(c.segmentMs, 604800000);
    assert.equal(c.segmentIndexBytes, 10485760);
    assert.equal(c.indexIntervalBytes, 4096);
    assert.equal(c.retentionMs, 604800000);
    assert.equal(c.retentionBytes, -1);
    assert.equal(c.flushMessages, Number.POSITIVE_INFINITY);
    assert.equal(c.flushMs, Number.POSITIVE_INFINITY);
    assert.equal(c.maxMessageBytes, 1048588);
    assert.equal(c.messageTimestampType, 'CreateTime');
    assert.equal(c.messageTimestampAfterMaxMs, 3600000);
    assert.deepEqual(c.cleanupPolicy, ['delete']);
    assert.equal(c.fileDeleteDelayMs, 60000);
    assert.equal(c.minInsyncReplicas, 1);
    assert.equal(c.compressionType, 'producer');
  });

  it('parses Kafka-named values, Long.MAX_VALUE as never', () => {
    const c = parseLogConfig({
      'retention.ms': '-1',
      'segment.bytes': '2097152',
      'flush.messages': LONG_MAX_STRING,
      'cleanup.policy': 'compact,delete',
      'message.timestamp.type': 'LogAppendTime',
      'min.cleanable.dirty.ratio': '0.25',
      'unclean.leader.election.enable': 'TRUE',
    });
    assert.equal(c.retentionMs, -1);
    assert.equal(c.segmentBytes, 2097152);
    assert.equal(c.flushMessages, Number.POSITIVE_INFINITY);
    assert.deepEqual(c.cleanupPolicy, ['compact', 'delete']);
    assert.equal(c.messageTimestampType, 'LogAppendTime');
    assert.equal(c.minCleanableDirtyRatio, 0.25);
    assert.equal(c.uncleanLeaderElectionEnable, true);
    assert.deepEqual(nonDefaultLogConfigNames(c).sort(), [
      'cleanup.policy',
      'message.timestamp.type',
      'min.cleanable.dirty.ratio',
      'retention.ms',
      'segment.bytes',
      'unclean.leader.election.enable',
    ]);
  });

  it('refuses bad values with INVALID_CONFIG naming the setting', () => {
    const bad: Record<string, string> = {
      'segment.bytes': '1000',
      'retention.ms': '-2',
      'flush.messages': '0',
      'max.message.bytes': 'lots',
      'min.insync.replicas': '0',
      'message.timestamp.type': 'Now',
      'cleanup.policy': 'delete,archive',
      'compression.type': 'brotli',
      'min.cleanable.dirty.ratio': '1.5',
      'segment.ms': '99999999999999999999',
      preallocate: 'yes',
    };
    for (const [name, value] of Object.entries(bad)) {
      assert.throws(
        () => parseLogConfig({ [name]: value }),
        (e: Error & { code?: number }) => e.code === 40 && e.message.includes(name),
        name,
      );
    }
    assert.throws(() => parseLogConfig({ 'no.such.setting': '1' }), { code: 40 });
  });

  it('describes every setting by its Kafka name', () => {
    const props = logConfigToProps(DEFAULT_LOG_CONFIG);
    assert.deepEqual(Object.keys(props), [...LOG_CONFIG_NAMES]);
    assert.equal(props['flush.ms'], LONG_MAX_STRING);
    assert.equal(props['cleanup.policy'], 'delete');
    assert.deepEqual(parseLogConfig(props), DEFAULT_LOG_CONFIG);
  });
});
