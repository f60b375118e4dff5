// High watermarks survive a restart (replication-offset-checkpoint): a replica manager opened
// again over the same data directory starts at the checkpointed high watermark, clamped to the
// recovered log; the file is rewritten periodically and at close; a corrupt or unwritable file
// is logged and costs only the head start, never the broker.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import {
  HIGH_WATERMARK_CHECKPOINT_FILE,
  HighWatermarkCheckpoints,
} from '../../src/cluster/high-watermark-checkpoints.js';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import { ReplicaManager } from '../../src/cluster/replica-manager.js';
import { TopicRegistry } from '../../src/cluster/topic-registry.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { NodeFileSystem } from '../../src/storage/fs.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { LogManager } from '../../src/storage/log-manager.js';

let dir: string;
let dataDir: string;
let registry: TopicRegistry;
const open: { rm: ReplicaManager; logs: LogManager }[] = [];
const warnings: string[] = [];
const logger = { info() {}, warn: (m: string) => warnings.push(m) };
const config = Object.freeze({ ...DEFAULT_LOG_CONFIG, minInsyncReplicas: 2 });
const batch = (n = 1) =>
  buildRecordBatch({
    records: Array.from({ length: n }, () => ({ value: Buffer.from('v'), timestamp: Date.now() })),
  }).buf;
const checkpointPath = () => join(dataDir, HIGH_WATERMARK_CHECKPOINT_FILE);

/** A broker's storage and replica manager over `dataDir`, as Broker builds them. */
function start(options: { intervalMs?: number; fs?: NodeFileSystem } = {}) {
  const logs = LogManager.open({ dataDir, defaultConfig: config });
  const checkpoints = new HighWatermarkCheckpoints({ dataDir, logger, fs: options.fs }).load();
  const rm = new ReplicaManager(1, registry, logs, () => config, {
    highWatermarkCheckpoints: checkpoints,
    highWatermarkCheckpointIntervalMs: options.intervalMs ?? 60_000,
    logger,
  });
  open.push({ rm, logs });
  return { rm, logs, p: rm.partition('t', 0)! };
}

function stop(node: { rm: ReplicaManager; logs: LogManager }) {
  open.splice(open.indexOf(node), 1);
  node.rm.close();
  node.logs.close();
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-hw-'));
  dataDir = join(dir, 'logs');
  warnings.length = 0;
  registry = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  await registry.createTopic({
    name: 't',
    numPartitions: 1,
    replicationFactor: 3,
    brokers: [1, 2, 3],
    assignments: [[1, 2, 3]],
  });
});
afterEach(() => {
  for (const node of [...open]) stop(node);
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Leader 1 takes `records`; followers 2 and 3 fetch up to `committed`. */
function produce(node: ReturnType<typeof start>, records: number, committed: number) {
  node.rm.appendRecordsToLeader(node.p, batch(records), -1);
  node.rm.recordFollowerFetch(node.p, 2, committed);
  node.rm.recordFollowerFetch(node.p, 3, committed);
}

test('a restarted replica starts at the high watermark it had, not at 0', () => {
  const first = start();
  produce(first, 5, 3);
  assert.equal(first.p.highWatermark, 3);
  stop(first);
  assert.equal(readFileSync(checkpointPath(), 'utf8'), '0\n1\nt 0 3\n', 'written at close');

  const second = start();
  assert.equal(second.p.logEndOffset, 5);
  assert.equal(second.p.highWatermark, 3, 'no follower has fetched since the restart');
  assert.deepEqual(warnings, []);
});

test('a checkpoint above the recovered log end is clamped to it', () => {
  const first = start();
  produce(first, 4, 4);
  stop(first);
  writeFileSync(checkpointPath(), '0\n1\nt 0 1000\n');
  const second = start();
  assert.equal(second.p.hw, 4);
  assert.equal(second.p.highWatermark, 4);
});

test('a corrupt checkpoint is logged with its reason and the high watermark starts from 0', () => {
  const first = start();
  produce(first, 2, 2);
  stop(first);
  writeFileSync(checkpointPath(), '0\n3\nt 0 2\n');
  const second = start();
  assert.equal(second.p.highWatermark, 0);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /replication-offset-checkpoint is corrupt: it announces 3 entries/);
  // Replication carries on and the next checkpoint replaces the damaged file.
  second.rm.recordFollowerFetch(second.p, 2, 2);
  second.rm.recordFollowerFetch(second.p, 3, 2);
  assert.equal(second.p.highWatermark, 2);
  stop(second);
  assert.equal(readFileSync(checkpointPath(), 'utf8'), '0\n1\nt 0 2\n');
});

test('the checkpoint is rewritten every interval while the high watermark moves', async () => {
  const node = start({ intervalMs: 20 });
  produce(node, 3, 3);
  const deadline = Date.now() + 30_000;
  while (!readFileSafe().includes('t 0 3')) {
    assert.ok(Date.now() < deadline, 'the periodic checkpoint never came');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(readFileSafe(), '0\n1\nt 0 3\n');
});

test('a checkpoint that cannot be written is logged and retried, never thrown', () => {
  class FailingOnce extends NodeFileSystem {
    fail = true;
    override rename(from: string, to: string): void {
      if (this.fail) {
        this.fail = false;
        throw Object.assign(new Error(`ENOSPC: rename '${from}'`), { code: 'ENOSPC' });
      }
      super.rename(from, to);
    }
  }
  const fs = new FailingOnce();
  const node = start({ fs });
  produce(node, 2, 2);
  const checkpoints = new HighWatermarkCheckpoints({ dataDir, logger, fs });
  checkpoints.write(node.rm.allPartitions());
  assert.match(warnings.join('\n'), /cannot write the high watermark checkpoint: ENOSPC/);
  checkpoints.write(node.rm.allPartitions());
  assert.equal(readFileSafe(), '0\n1\nt 0 2\n');
});

function readFileSafe(): string {
  try {
    return readFileSync(checkpointPath(), 'utf8');
  } catch {
    return '';
  }
}
