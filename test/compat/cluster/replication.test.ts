// Three `samsa broker` processes sharing a real etcd: they see each other and one controller,
// a replication-factor-3 topic is copied to every replica, and acks=all holds while the leader
// is SIGKILLed and restarted over and over: every acknowledged record is found at the offset it
// was acknowledged with, on every replica, and the replicas' logs end up byte-identical.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from '../../../src/client/connection.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { MetadataApi, type MetadataResponse } from '../../../src/protocol/messages/metadata.js';
import { ProduceApi } from '../../../src/protocol/messages/produce.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import {
  buildRecordBatch,
  readRecords,
  splitBatches,
} from '../../../src/protocol/records/index.js';
import {
  type BrokerProcess,
  startBrokerProcess,
  stopAllBrokers,
} from '../../helpers/broker-process.js';
import { EtcdServer, etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();
const IDS = [1, 2, 3];
const TOPIC = 'replicated';
const KILL_CYCLES = Number(process.env.SAMSA_KILL_CYCLES ?? 12);
const RECORDS_PER_CYCLE = 20;
/** Of the cycles, how many end with SIGTERM rather than SIGKILL. */
const GRACEFUL_CYCLES = 2;

interface Node {
  id: number;
  dataDir: string;
  port: number;
  proc: BrokerProcess | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('a 3-broker cluster on etcd', { skip }, () => {
  let etcd: EtcdServer;
  const nodes = new Map<number, Node>();
  const root = mkdtempSync(join(tmpdir(), 'samsa-repl-'));
  /** Logs of broker processes already killed, to count what happened over the whole run. */
  let pastLogs = '';

  async function start(node: Node): Promise<void> {
    node.proc = await startBrokerProcess({
      dataDir: node.dataDir,
      port: node.port,
      timeoutMs: 60_000,
      overrides: {
        'node.id': String(node.id),
        'metadata.store': `etcd://127.0.0.1:${etcd.clientPort}`,
        'metadata.store.prefix': '/samsa-replication-test',
        'broker.session.timeout.ms': '2000',
        'replica.lag.time.max.ms': '5000',
        'replica.fetch.wait.max.ms': '200',
        'auto.create.topics.enable': 'false',
      },
    });
    node.port = node.proc.port;
  }

  async function withConnection<T>(port: number, work: (c: Connection) => Promise<T>) {
    const c = await Connection.connect({
      host: '127.0.0.1',
      port,
      clientId: 'replication-test',
      connectTimeoutMs: 2000,
      requestTimeoutMs: 8000,
    });
    try {
      return await work(c);
    } finally {
      c.close();
    }
  }

  function metadata(port: number, topics: string[] = []): Promise<MetadataResponse> {
    return withConnection(port, (c) =>
      c.send(
        MetadataApi,
        {
          topics: topics.map((name) => ({ name, topicId: ZERO_UUID })),
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        },
        { version: 12 },
      ),
    );
  }

  function alive(): Node[] {
    return [...nodes.values()].filter((n) => n.proc && n.proc.child.exitCode === null);
  }

  /** Leader, epoch and ISR of the topic's partition 0 as a live broker reports them. */
  async function partitionState() {
    for (const n of alive()) {
      const md = await metadata(n.port, [TOPIC]).catch(() => undefined);
      const p = md?.topics[0]?.partitions[0];
      if (p && p.errorCode === ErrorCode.NONE && p.leaderId >= 0) {
        return { leader: p.leaderId, epoch: p.leaderEpoch, isr: p.isrNodes };
      }
    }
    return undefined;
  }

  /** Stops every broker cleanly once followers caught up; replicas must hold the same bytes. */
  async function stopAllAndCompare(acked: ReadonlyMap<number, number>): Promise<void> {
    // Let the followers fetch the last records, then stop every broker cleanly.
    await sleep(1500);
    for (const n of nodes.values()) await n.proc!.kill('SIGTERM');

    const logs = [...nodes.values()].map((n) => ({ id: n.id, ...readPartitionLog(n.dataDir) }));
    for (const log of logs) {
      for (const [offset, value] of acked) {
        assert.equal(
          log.values.get(offset),
          value,
          `broker ${log.id}: acknowledged record ${value} at offset ${offset}`,
        );
      }
    }
    const [first, ...rest] = logs;
    for (const log of rest) {
      assert.equal(log.endOffset, first!.endOffset, `broker ${log.id} log end offset`);
      assert.ok(
        log.bytes.equals(first!.bytes),
        `broker ${log.id}'s log differs from broker ${first!.id}'s`,
      );
    }
  }

  /** One batch to the given broker; resolves with its partition answer. */
  function produceTo(port: number, acks: number, values: string[]) {
    return withConnection(port, async (c) => {
      const records = values.map((v) => ({ value: Buffer.from(v), timestamp: Date.now() }));
      const res = await c.send(
        ProduceApi,
        {
          transactionalId: null,
          acks,
          timeoutMs: 5000,
          topicData: [
            {
              name: TOPIC,
              partitionData: [{ index: 0, records: buildRecordBatch({ records }).buf }],
            },
          ],
        },
        { version: 9 },
      );
      return res.responses[0]!.partitionResponses[0]!;
    });
  }

  async function fullIsr() {
    return until(
      'a full ISR',
      async () => {
        const s = await partitionState();
        return s && s.isr.length === 3 ? s : undefined;
      },
      60_000,
    );
  }

  before(async () => {
    etcd = await EtcdServer.start();
    for (const id of IDS)
      nodes.set(id, { id, dataDir: join(root, `broker-${id}`), port: 0, proc: undefined });
    await Promise.all([...nodes.values()].map((n) => start(n)));
  });

  after(async () => {
    await stopAllBrokers();
    await etcd?.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  test('every broker lists all three and the same controller', async () => {
    for (const n of nodes.values()) {
      const md = await until(`broker ${n.id} to see 3 brokers`, async () => {
        const m = await metadata(n.port);
        return m.brokers.length === 3 && (m.controllerId ?? -1) >= 0 ? m : undefined;
      });
      assert.deepEqual(
        md.brokers.map((b) => [b.nodeId, b.port]).sort(),
        [...nodes.values()].map((x) => [x.id, x.port]).sort(),
      );
      assert.ok(IDS.includes(md.controllerId ?? -1));
    }
    const controllers = await Promise.all([...nodes.values()].map((n) => metadata(n.port)));
    assert.equal(new Set(controllers.map((m) => m.controllerId)).size, 1);
  });

  test('acks=all with RF=3 loses nothing while the leader is killed (or stopped) and restarted', async () => {
    const created = await withConnection(nodes.get(1)!.port, (c) =>
      c.send(
        CreateTopicsApi,
        {
          topics: [
            {
              name: TOPIC,
              numPartitions: 1,
              replicationFactor: 3,
              assignments: [],
              configs: [{ name: 'min.insync.replicas', value: '2' }],
            },
          ],
          timeoutMs: 10_000,
          validateOnly: false,
        },
        { version: 5 },
      ),
    );
    assert.equal(
      created.topics[0]!.errorCode,
      ErrorCode.NONE,
      created.topics[0]!.errorMessage ?? '',
    );

    const acked = new Map<number, number>(); // offset -> sequence number in the value
    let seq = 0;
    let producing = true;
    let producer: Connection | undefined;
    let producerPort = -1;
    const errors = new Map<string, number>();

    // A second producer with acks=1 keeps records the followers may not have yet on the leader
    // when it dies: its successor never had them, so the old leader must truncate them on return.
    let unsafe: Connection | undefined;
    let unsafePort = -1;
    const unsafeLoop = (async () => {
      while (producing) {
        try {
          const state = await partitionState();
          if (!state) throw new Error('no leader');
          const port = nodes.get(state.leader)!.port;
          if (!unsafe || unsafe.closed || unsafePort !== port) {
            unsafe?.close();
            unsafe = await Connection.connect({
              host: '127.0.0.1',
              port,
              clientId: 'replication-test-acks1',
              connectTimeoutMs: 2000,
              requestTimeoutMs: 8000,
            });
            unsafePort = port;
          }
          const records = Array.from({ length: 50 }, () => ({
            value: Buffer.from('acks=1'),
            timestamp: Date.now(),
          }));
          await unsafe.send(
            ProduceApi,
            {
              transactionalId: null,
              acks: 1,
              timeoutMs: 5000,
              topicData: [
                {
                  name: TOPIC,
                  partitionData: [{ index: 0, records: buildRecordBatch({ records }).buf }],
                },
              ],
            },
            { version: 9 },
          );
        } catch {
          unsafe?.close();
          unsafe = undefined;
        }
        await sleep(20);
      }
      unsafe?.close();
    })();

    async function produceOne(value: number): Promise<boolean> {
      const state = await partitionState();
      if (!state) return false;
      const port = nodes.get(state.leader)!.port;
      if (!producer || producer.closed || producerPort !== port) {
        producer?.close();
        producer = await Connection.connect({
          host: '127.0.0.1',
          port,
          clientId: 'replication-test-producer',
          connectTimeoutMs: 2000,
          requestTimeoutMs: 8000,
        });
        producerPort = port;
      }
      const batch = buildRecordBatch({
        records: [{ value: Buffer.from(String(value)), timestamp: Date.now() }],
      });
      const res = await producer.send(
        ProduceApi,
        {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch.buf }] }],
        },
        { version: 9 },
      );
      const p = res.responses[0]!.partitionResponses[0]!;
      if (p.errorCode !== ErrorCode.NONE) {
        const name = String(p.errorCode);
        errors.set(name, (errors.get(name) ?? 0) + 1);
        return false;
      }
      acked.set(Number(p.baseOffset), value);
      return true;
    }

    const producerLoop = (async () => {
      while (producing) {
        const ok = await produceOne(seq).catch(() => false);
        if (ok) seq++;
        else {
          producer?.close();
          producer = undefined;
          await sleep(100);
        }
      }
      producer?.close();
    })();

    try {
      for (let cycle = 0; cycle < KILL_CYCLES; cycle++) {
        const target = acked.size + RECORDS_PER_CYCLE;
        const state = await until(
          `cycle ${cycle}: ${RECORDS_PER_CYCLE} more acks and a full ISR`,
          async () => {
            const s = await partitionState();
            return s && s.isr.length === 3 && acked.size >= target ? s : undefined;
          },
          60_000,
        );
        const victim = nodes.get(state.leader)!;
        // The last cycles stop the leader gracefully (controlled shutdown) instead.
        await victim.proc!.kill(cycle >= KILL_CYCLES - GRACEFUL_CYCLES ? 'SIGTERM' : 'SIGKILL');
        pastLogs += victim.proc!.output();
        await start(victim);
      }
      await until(
        'a full ISR and 20 more acks after the last restart',
        async () => {
          const s = await partitionState();
          return s && s.isr.length === 3 && acked.size >= KILL_CYCLES * RECORDS_PER_CYCLE + 20
            ? s
            : undefined;
        },
        60_000,
      );
    } catch (err) {
      for (const n of nodes.values()) {
        process.stderr.write(
          `# --- broker ${n.id} log (tail) ---\n${n.proc?.output().slice(0, 3000)}\n...\n${n.proc?.output().slice(-3000)}\n`,
        );
      }
      process.stderr.write(
        `# acked ${acked.size}, errors ${JSON.stringify(Object.fromEntries(errors))}\n`,
      );
      throw err;
    } finally {
      producing = false;
      await producerLoop;
      await unsafeLoop;
    }
    await stopAllAndCompare(acked);
    assert.ok(acked.size >= KILL_CYCLES * RECORDS_PER_CYCLE);
    const all = pastLogs + [...nodes.values()].map((n) => n.proc!.output()).join('');
    const count = (re: RegExp) => all.match(re)?.length ?? 0;
    process.stderr.write(
      `# ${acked.size} acknowledged records over ${KILL_CYCLES} leader kills; refused attempts by error code: ${JSON.stringify(Object.fromEntries(errors))}; ${count(/elected from the ISR/g)} leader elections, ${count(/truncating from/g)} follower truncations, ${count(/ISR is now/g)} ISR changes by leaders, ${count(/moved leadership of/g)} controlled shutdowns moving leadership\n`,
    );
    assert.equal(count(/UNCLEAN election/g), 0);
    assert.ok(count(/moved leadership of 1 partition/g) >= Math.min(GRACEFUL_CYCLES, KILL_CYCLES));
  });

  test('a leader returning with records its successor never had truncates them', async () => {
    await Promise.all([...nodes.values()].filter((n) => !alive().includes(n)).map((n) => start(n)));
    const state = await fullIsr();
    const leader = nodes.get(state.leader)!;
    const followers = [...nodes.values()].filter((n) => n !== leader);
    const acked = new Map<number, number>();
    const before = await produceTo(leader.port, -1, ['1000000']);
    assert.equal(before.errorCode, ErrorCode.NONE);
    acked.set(Number(before.baseOffset), 1_000_000);
    // Frozen followers cannot fetch: the acks=1 batch is on the old leader only when it dies.
    for (const f of followers) f.proc!.child.kill('SIGSTOP');
    try {
      // Fetches already waiting at the leader answer (empty) within replica.fetch.wait.max.ms;
      // after that no follower fetch is outstanding to carry the next batch.
      await sleep(500);
      const lonely = await produceTo(leader.port, 1, Array(10).fill('acks=1'));
      assert.equal(lonely.errorCode, ErrorCode.NONE);
      await leader.proc!.kill('SIGKILL');
    } finally {
      for (const f of followers) f.proc!.child.kill('SIGCONT');
    }
    await start(leader);
    const after = await until('a new leader taking acks=all writes', async () => {
      const s = await partitionState();
      if (!s || s.leader === leader.id) return undefined;
      const r = await produceTo(nodes.get(s.leader)!.port, -1, ['1000001']);
      return r.errorCode === ErrorCode.NONE ? r : undefined;
    });
    acked.set(Number(after.baseOffset), 1_000_001);
    await fullIsr();
    const returned = leader.proc!.output();
    await stopAllAndCompare(acked);
    assert.match(returned, /truncating from \d+ to \d+/, returned);
  });
});

/** The partition's batches straight from its segment files, and each record's value by offset. */
function readPartitionLog(dataDir: string) {
  const dir = join(dataDir, `${TOPIC}-0`);
  const segments = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  const bytes = Buffer.concat(segments.map((f) => readFileSync(join(dir, f))));
  const values = new Map<number, number>();
  let endOffset = 0;
  for (const batch of splitBatches(bytes)) {
    for (const r of readRecords(batch)) {
      const v = r.value!.toString();
      if (v !== 'acks=1') values.set(batch.baseOffset + r.offsetDelta, Number(v));
    }
    endOffset = batch.lastOffset + 1;
  }
  return { bytes, values, endOffset };
}
