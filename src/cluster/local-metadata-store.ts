// The single-node MetadataStore: all keys in one JSON file in the data dir, rewritten
// atomically (temp file, fsync, rename, fsync of the directory) on every change. Metadata
// changes are rare (topic creation, config changes), so whole-file rewrites are cheap and a
// crash leaves either the old or the new file, never a torn one.
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { MetadataStore, StoredValue, WatchEvent } from './metadata-store.js';

interface FileFormat {
  version: 1;
  revision: number;
  entries: Record<string, { value: unknown; modRevision: number }>;
}

export class LocalMetadataStore implements MetadataStore {
  private revision = 0;
  private readonly entries = new Map<string, { value: unknown; modRevision: number }>();
  private readonly watchers = new Set<{ prefix: string; onEvent: (e: WatchEvent) => void }>();

  constructor(private readonly path: string) {
    if (existsSync(path)) {
      let data: FileFormat;
      try {
        data = JSON.parse(readFileSync(path, 'utf8')) as FileFormat;
      } catch (err) {
        throw new Error(`Cannot read cluster metadata ${path}: ${(err as Error).message}`);
      }
      this.revision = data.revision;
      for (const [k, v] of Object.entries(data.entries)) this.entries.set(k, v);
    }
  }

  static inDataDir(dataDir: string): LocalMetadataStore {
    return new LocalMetadataStore(join(dataDir, 'cluster-metadata.json'));
  }

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    const e = this.entries.get(key);
    return e
      ? { key, value: structuredClone(e.value) as T, modRevision: e.modRevision }
      : undefined;
  }

  async list<T>(prefix: string): Promise<StoredValue<T>[]> {
    return [...this.entries.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, e]) => ({
        key,
        value: structuredClone(e.value) as T,
        modRevision: e.modRevision,
      }));
  }

  async put<T>(key: string, value: T): Promise<number> {
    return this.write(key, value);
  }

  async compareAndSwap<T>(
    key: string,
    expectedRevision: number,
    value: T,
  ): Promise<number | undefined> {
    const current = this.entries.get(key)?.modRevision ?? 0;
    if (current !== expectedRevision) return undefined;
    return this.write(key, value);
  }

  async delete(key: string, expectedRevision?: number): Promise<boolean> {
    const e = this.entries.get(key);
    if (!e || (expectedRevision !== undefined && e.modRevision !== expectedRevision)) return false;
    this.entries.delete(key);
    this.revision++;
    this.persist();
    this.notify({ type: 'delete', key, modRevision: this.revision });
    return true;
  }

  watch<T>(prefix: string, onEvent: (event: WatchEvent<T>) => void): () => void {
    const w = { prefix, onEvent: onEvent as (e: WatchEvent) => void };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }

  private write(key: string, value: unknown): number {
    const stored = structuredClone(value);
    this.revision++;
    this.entries.set(key, { value: stored, modRevision: this.revision });
    this.persist();
    this.notify({ type: 'put', key, value: structuredClone(stored), modRevision: this.revision });
    return this.revision;
  }

  private notify(event: WatchEvent): void {
    for (const w of this.watchers) if (event.key.startsWith(w.prefix)) w.onEvent(event);
  }

  private persist(): void {
    const data: FileFormat = {
      version: 1,
      revision: this.revision,
      entries: Object.fromEntries(this.entries),
    };
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(data));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
