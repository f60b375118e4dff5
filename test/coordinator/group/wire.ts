// A real embedded broker and a wire client for the group APIs' handler tests: FindCoordinator
// is retried until __consumer_offsets exists, then requests go straight to the coordinator.
import { type EmbeddedBroker, startBroker } from '../../../src/broker/index.js';
import { FindCoordinatorApi } from '../../../src/protocol/messages/find-coordinator.js';
import { JoinGroupApi, type JoinGroupRequest } from '../../../src/protocol/messages/join-group.js';
import { SyncGroupApi } from '../../../src/protocol/messages/sync-group.js';
import { WireClient } from '../../helpers/wire-client.js';

export interface GroupBroker {
  broker: EmbeddedBroker;
  client: WireClient;
  /** Another connection (a second member's own socket). */
  connect(): Promise<WireClient>;
  close(): Promise<void>;
}

export async function groupBroker(
  config: Record<string, string> = {},
  dataDir?: string,
): Promise<GroupBroker> {
  const broker = await startBroker({
    dataDir,
    config: {
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.num.partitions': '4',
      ...config,
    },
  });
  const clients: WireClient[] = [];
  const connect = async () => {
    const c = await WireClient.connect(broker.port);
    clients.push(c);
    return c;
  };
  const client = await connect();
  await waitForCoordinator(client);
  return {
    broker,
    client,
    connect,
    async close() {
      for (const c of clients) c.close();
      await broker.stop();
    },
  };
}

export async function waitForCoordinator(client: WireClient, groupId = 'any'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await client.request(FindCoordinatorApi, 3, { key: groupId, keyType: 0 });
    if (r.errorCode === 0) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error('the group coordinator never became available');
}

export const consumerSubscription = (topics: string[]): Buffer => {
  const parts = [Buffer.from([0, 0]), int32(topics.length)];
  for (const t of topics) parts.push(int16(Buffer.byteLength(t)), Buffer.from(t));
  parts.push(int32(-1));
  return Buffer.concat(parts);
};
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

export function joinRequest(
  groupId: string,
  over: Partial<JoinGroupRequest> = {},
): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: consumerSubscription(['orders']) }],
    reason: null,
    ...over,
  };
}

/**
 * One member forms a stable group with the given JoinGroup and SyncGroup versions (MEMBER_ID_
 * REQUIRED handled from v4); returns its member id and generation.
 */
export async function stableMember(
  client: WireClient,
  groupId: string,
  versions: { join?: number; sync?: number } = {},
  over: Partial<JoinGroupRequest> = {},
): Promise<{ memberId: string; generationId: number }> {
  const jv = versions.join ?? 5;
  let r = await client.request(JoinGroupApi, jv, joinRequest(groupId, over));
  if (r.errorCode === 79)
    r = await client.request(
      JoinGroupApi,
      jv,
      joinRequest(groupId, { ...over, memberId: r.memberId }),
    );
  if (r.errorCode !== 0) throw new Error(`JoinGroup v${jv} failed with ${r.errorCode}`);
  const s = await client.request(SyncGroupApi, versions.sync ?? 3, {
    groupId,
    generationId: r.generationId,
    memberId: r.memberId,
    groupInstanceId: over.groupInstanceId ?? null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: r.memberId, assignment: Buffer.from('assignment') }],
  });
  if (s.errorCode !== 0) throw new Error(`SyncGroup failed with ${s.errorCode}`);
  return { memberId: r.memberId, generationId: r.generationId };
}
