// The shape of every coordinator operation, after Kafka's CoordinatorResult: the records to
// append to __consumer_offsets and the response. The runtime appends the records and then
// replays them into the state, so state changes only by replay; a failed append changes
// nothing. Classic-group operations are the exception Kafka makes too (replay: false): their
// rebalance bookkeeping lives in memory and the record only persists its outcome.
import type { KafkaError } from '../../protocol/errors.js';
import type { GroupRecord } from './records.js';

export interface CoordinatorResult<T> {
  records: GroupRecord[];
  response: T;
  /** Replay the records into the state after appending them (default true). */
  replay?: boolean;
  /** Called once the records are appended (error undefined) or could not be. */
  onAppended?: (error: KafkaError | undefined) => void;
}

export function result<T>(response: T, records: GroupRecord[] = []): CoordinatorResult<T> {
  return { records, response };
}

/** A response decided later: a JoinGroup or SyncGroup parked until the rebalance moves on. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  private resolveFn!: (value: T) => void;
  private done = false;

  constructor() {
    this.promise = new Promise<T>((resolve) => {
      this.resolveFn = resolve;
    });
  }

  get settled(): boolean {
    return this.done;
  }

  /** Resolves once; later calls are ignored (a member answered already stays answered). */
  resolve(value: T): boolean {
    if (this.done) return false;
    this.done = true;
    this.resolveFn(value);
    return true;
  }
}
