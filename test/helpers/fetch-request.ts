// A Fetch request for one partition, as a consumer sends it, for tests that speak the wire
// protocol themselves. Fields a version lacks (topicId before v13) are left out by the encoder.
import type { FetchRequest } from '../../src/protocol/messages/fetch.js';
import { ZERO_UUID } from '../../src/protocol/primitives/uuid.js';

export function fetchRequest(
  topic: string,
  opts: {
    partition?: number;
    fetchOffset?: bigint;
    /** The limit of the whole answer and of the partition's part of it. */
    maxBytes?: number;
    maxWaitMs?: number;
    minBytes?: number;
  } = {},
): FetchRequest {
  const maxBytes = opts.maxBytes ?? 50_000_000;
  return {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: ZERO_UUID,
        partitions: [
          {
            partition: opts.partition ?? 0,
            currentLeaderEpoch: -1,
            fetchOffset: opts.fetchOffset ?? 0n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: maxBytes,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}
