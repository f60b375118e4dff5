// Where cluster metadata lives (topics, partition assignments, leaders, configs). One
// interface with a local implementation (a file in the data dir, for a single node) and, for a
// cluster, an etcd one: the controller code above it is the same for both.
//
// Keys are '/'-separated paths; values are JSON-serialisable objects. Every change bumps a
// store-wide revision and records it as the key's modRevision, so a writer can say "put this
// only if nobody changed the key since I read it" (compare-and-swap), as etcd transactions do.

export interface StoredValue<T = unknown> {
  key: string;
  value: T;
  /** Store revision of the last change to this key. */
  modRevision: number;
}

export type WatchEvent<T = unknown> =
  | { type: 'put'; key: string; value: T; modRevision: number }
  | { type: 'delete'; key: string; modRevision: number };

export interface MetadataStore {
  get<T>(key: string): Promise<StoredValue<T> | undefined>;
  /** Every key under a prefix, in key order. */
  list<T>(prefix: string): Promise<StoredValue<T>[]>;
  put<T>(key: string, value: T): Promise<number>;
  /**
   * Writes only if the key's modRevision is still `expectedRevision` (0: the key must not
   * exist). Returns the new revision, or undefined when someone else changed it first.
   */
  compareAndSwap<T>(key: string, expectedRevision: number, value: T): Promise<number | undefined>;
  /** Deletes only if unchanged since `expectedRevision` when given. */
  delete(key: string, expectedRevision?: number): Promise<boolean>;
  /** Calls back for every change under the prefix until the returned function is called. */
  watch<T>(prefix: string, onEvent: (event: WatchEvent<T>) => void): () => void;
  close(): Promise<void>;
}
