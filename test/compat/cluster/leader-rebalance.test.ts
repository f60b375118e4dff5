// auto.leader.rebalance.enable on a 3-broker cluster (etcd): a broker stopped and restarted
// loses the leaderships it preferred (controlled shutdown hands them over), and the controller
// gives them back once it is in sync again, without anyone asking.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EtcdCluster, until } from './cluster-harness.js';
import { etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();
const TOPIC = 'rebalanced';

describe('auto leader rebalance', { skip }, () => {
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await EtcdCluster.start(3, { 'leader.imbalance.check.interval.seconds': '1' });
  });
  after(async () => {
    await cluster?.destroy();
  });

  /** Partition -> [preferred replica, leader], from the first live broker. */
  async function leaders(): Promise<Map<number, [number, number]> | undefined> {
    const md = await cluster.metadata(cluster.alive()[0]!.port, [TOPIC]);
    const t = md.topics[0];
    if (t?.partitions.length !== 3) return undefined;
    return new Map(t.partitions.map((p) => [p.partitionIndex, [p.replicaNodes[0]!, p.leaderId]]));
  }

  /** The controller every live broker names, once they all name the same one. */
  async function controller(): Promise<number | undefined> {
    const ids = await Promise.all(
      cluster.alive().map(async (n) => (await cluster.metadata(n.port)).controllerId),
    );
    const id = ids[0];
    return id !== undefined && id >= 0 && ids.every((x) => x === id) ? id : undefined;
  }

  test('a restarted broker leads its preferred partitions again', async () => {
    // Brokers answer before a controller is elected; topics are created and leaders moved by it.
    await until('a controller all brokers agree on', controller);
    await cluster.createTopic(TOPIC, 3, 3);
    for (let p = 0; p < 3; p++) await cluster.fullIsr(TOPIC, p);
    const before = (await leaders())!;
    const [preferred] = [...before].find(([, [pref]]) => pref === 1)!;
    assert.equal(before.get(preferred)![1], 1, 'broker 1 leads the partition it prefers');

    const one = cluster.node(1);
    await cluster.stopNode(one, 'SIGTERM');
    const moved = await until('another leader', async () => {
      const l = await leaders();
      const leader = l?.get(preferred)?.[1];
      return leader !== undefined && leader >= 0 && leader !== 1 ? leader : undefined;
    });
    assert.notEqual(moved, 1);
    await cluster.startNode(one);
    const back = await until(
      'broker 1 leading its preferred partition again',
      async () => ((await leaders())?.get(preferred)?.[1] === 1 ? true : undefined),
      60_000,
    );
    assert.equal(back, true);
    // Metadata can show the new leader before the controller's log line reaches the harness.
    const line = new RegExp(`${TOPIC}-${preferred} leader back to its preferred replica 1`);
    await until(
      'the controller logging the rebalance',
      async () => (line.test(cluster.logs()) ? true : undefined),
      10_000,
    );
  });
});
