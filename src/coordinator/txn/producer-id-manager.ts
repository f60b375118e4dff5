// Producer ids for idempotent (and later transactional) producers: unique across the cluster and
// across restarts. Like Kafka's ZooKeeper-era ProducerIdManager, a broker takes blocks of ids from
// the cluster metadata (key /producer-ids holds where the next block starts), claiming each block
// with a compare-and-swap so two brokers never get the same one, and hands ids out of its block
// from memory. A restart abandons the rest of the block, which only skips ids.
import type { MetadataStore } from '../../cluster/metadata-store.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;
export const PRODUCER_ID_BLOCK_KEY = '/producer-ids';
const MAX_ATTEMPTS = 20;

/** The stored value: the next unclaimed id, and who claimed the block before it (for operators). */
export interface ProducerIdBlockRecord {
  version: 1;
  nextBlockStart: number;
  lastBlockOwner: number;
}

export class ProducerIdManager {
  private next = 0;
  private end = 0;
  private allocating: Promise<void> | undefined;

  constructor(
    private readonly store: MetadataStore,
    private readonly nodeId: number,
    private readonly blockSize = PRODUCER_ID_BLOCK_SIZE,
  ) {}

  /** A producer id never handed out before, by any broker. */
  async generateProducerId(): Promise<number> {
    while (this.next >= this.end) {
      this.allocating ??= this.claimBlock().finally(() => {
        this.allocating = undefined;
      });
      await this.allocating;
    }
    return this.next++;
  }

  private async claimBlock(): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.store.get<ProducerIdBlockRecord>(PRODUCER_ID_BLOCK_KEY);
      const start = current?.value.nextBlockStart ?? 0;
      const end = start + this.blockSize;
      if (!Number.isSafeInteger(end)) {
        throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'producer ids are exhausted');
      }
      const record: ProducerIdBlockRecord = {
        version: 1,
        nextBlockStart: end,
        lastBlockOwner: this.nodeId,
      };
      const claimed = await this.store.compareAndSwap(
        PRODUCER_ID_BLOCK_KEY,
        current?.modRevision ?? 0,
        record,
      );
      if (claimed !== undefined) {
        this.next = start;
        this.end = end;
        return;
      }
    }
    // Kafka answers this retriable code while it waits for a new block.
    throw new KafkaError(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
      `could not claim a block of producer ids after ${MAX_ATTEMPTS} attempts`,
    );
  }
}

const managers = new WeakMap<MetadataStore, ProducerIdManager>();

/** The broker's manager for a metadata store, created on first use. */
export function producerIdManager(store: MetadataStore, nodeId: number): ProducerIdManager {
  let m = managers.get(store);
  if (!m) managers.set(store, (m = new ProducerIdManager(store, nodeId)));
  return m;
}
