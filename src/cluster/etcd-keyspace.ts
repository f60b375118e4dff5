// Where the etcd store's keys and values live in etcd: every store key under the cluster's prefix
// (metadata.store.prefix, so several clusters can share one etcd: '/topics/a' is stored as
// '/samsa/topics/a'), and every value as JSON.
import type { IKeyValue } from 'etcd3';
import { prefixEnd } from './etcd-client.js';
import type { StoredValue, StoreLogger } from './metadata-store.js';

export class EtcdKeyspace {
  constructor(
    /** Without a trailing '/'. */
    readonly prefix: string,
    private readonly logger: StoreLogger,
  ) {}

  etcdKey(key: string): Buffer {
    if (!key.startsWith('/')) throw new TypeError(`metadata keys start with '/': '${key}'`);
    return Buffer.from(this.prefix + key, 'utf8');
  }

  /** The etcd key range [key, range_end) holding the store prefix. */
  etcdRange(prefix: string): { key: Buffer; range_end: Buffer } {
    const key = this.etcdKey(prefix);
    return { key, range_end: prefixEnd(key) };
  }

  /** The store key of an etcd key, undefined when it is outside this store's namespace. */
  storeKey(etcdKey: Buffer): string | undefined {
    const s = etcdKey.toString('utf8');
    return s.startsWith(`${this.prefix}/`) ? s.slice(this.prefix.length) : undefined;
  }

  encode(value: unknown): Buffer {
    return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
  }

  decode(kv: IKeyValue): unknown {
    if (kv.value.length === 0) return undefined;
    try {
      return JSON.parse(kv.value.toString('utf8'));
    } catch {
      this.logger.warn(`etcd key ${kv.key.toString()} does not hold JSON; read as a string`);
      return kv.value.toString('utf8');
    }
  }

  stored<T>(key: string, kv: IKeyValue): StoredValue<T> {
    const out: StoredValue<T> = {
      key,
      value: this.decode(kv) as T,
      modRevision: Number(kv.mod_revision),
      createRevision: Number(kv.create_revision),
    };
    if (kv.lease && kv.lease !== '0') out.lease = String(kv.lease);
    return out;
  }
}
