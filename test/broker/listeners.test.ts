// A broker with two listeners answers each connection with the endpoints of the listener it came
// in on, as Kafka matches by listener name: Metadata, DescribeCluster and FindCoordinator
// through the second listener name the second port, never the first listener's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Broker } from '../../src/broker/broker.js';
import { loadBrokerConfig } from '../../src/broker/config.js';
import { createLogger } from '../../src/broker/logger.js';
import { DescribeClusterApi } from '../../src/protocol/messages/describe-cluster.js';
import { FindCoordinatorApi } from '../../src/protocol/messages/find-coordinator.js';
import { MetadataApi } from '../../src/protocol/messages/metadata.js';
import { WireClient } from '../helpers/wire-client.js';

const dataDir = mkdtempSync(join(tmpdir(), 'samsa-listeners-'));
let broker: Broker;
/** Bound port by listener name. */
const ports = new Map<string, number>();

before(async () => {
  const config = loadBrokerConfig({
    overrides: {
      'log.dirs': dataDir,
      listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
    },
  });
  broker = await Broker.start(config, { log: createLogger('error') });
  for (const e of broker.advertised) ports.set(e.listenerName, e.port);
});
after(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function through<T>(listener: string, work: (c: WireClient) => Promise<T>): Promise<T> {
  const c = await WireClient.connect(ports.get(listener)!);
  try {
    return await work(c);
  } finally {
    c.close();
  }
}

test('both listeners are bound on their own ports', () => {
  assert.deepEqual([...ports.keys()], ['PLAINTEXT', 'INTERNAL']);
  assert.notEqual(ports.get('PLAINTEXT'), ports.get('INTERNAL'));
});

for (const listener of ['PLAINTEXT', 'INTERNAL']) {
  test(`through ${listener}: Metadata and DescribeCluster name the ${listener} port`, async () => {
    const port = ports.get(listener);
    const md = await through(listener, (c) =>
      c.request(MetadataApi, 12, {
        topics: [],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      }),
    );
    assert.deepEqual(
      md.brokers.map((b) => [b.nodeId, b.host, b.port]),
      [[1, '127.0.0.1', port]],
    );
    const dc = await through(listener, (c) =>
      c.request(DescribeClusterApi, 1, {
        includeClusterAuthorizedOperations: false,
        endpointType: 1,
      }),
    );
    assert.deepEqual(
      dc.brokers.map((b) => [b.brokerId, b.host, b.port]),
      [[1, '127.0.0.1', port]],
    );
  });

  test(`through ${listener}: FindCoordinator names the ${listener} port`, async () => {
    const answer = await through(listener, async (c) => {
      // The first lookup creates __consumer_offsets; ask until the coordinator is known.
      for (let i = 0; i < 200; i++) {
        const r = await c.request(FindCoordinatorApi, 3, { key: 'g', keyType: 0 });
        if (r.errorCode === 0) return r;
        await new Promise((res) => setTimeout(res, 20));
      }
      throw new Error('no coordinator');
    });
    assert.deepEqual([answer.nodeId, answer.port], [1, ports.get(listener)]);
  });
}
