// Turning application keys and values into bytes and back. A producer or consumer is typed by
// its serializers: `producer<K, V>({ keySerializer, valueSerializer })` accepts K and V, and a
// consumer built with deserializers yields them.

/** Bytes for a key or value; null stays null (a tombstone for a value). */
export type Serializer<T> = (data: T, topic: string) => Buffer | null;
/** The application's key or value from the bytes of a record. */
export type Deserializer<T> = (data: Buffer | null, topic: string) => T;

/** What the default serializer accepts: bytes, text (UTF-8), or nothing. */
export type RawData = Buffer | Uint8Array | string | null | undefined;

/** Buffers as they are, strings as UTF-8, null/undefined as null. */
export const rawSerializer: Serializer<RawData> = (data) => {
  if (data === null || data === undefined) return null;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(
    `cannot serialize a ${typeof data}: give a Buffer or a string, or set a serializer`,
  );
};

/** Ready-made serializers. */
export const serializers = {
  /** UTF-8 text. */
  string: ((data: string | null) =>
    data === null ? null : Buffer.from(data, 'utf8')) as Serializer<string | null>,
  /** JSON.stringify as UTF-8; null stays a null record. */
  json:
    <T>(): Serializer<T | null> =>
    (data) =>
      data === null ? null : Buffer.from(JSON.stringify(data), 'utf8'),
  /** Bytes as they are. */
  buffer: ((data: Buffer | null) => data) as Serializer<Buffer | null>,
};

/** Ready-made deserializers. */
export const deserializers = {
  /** UTF-8 text (null stays null). */
  string: ((data: Buffer | null) => (data === null ? null : data.toString('utf8'))) as Deserializer<
    string | null
  >,
  /** JSON.parse of UTF-8 text (null stays null). */
  json:
    <T>(): Deserializer<T | null> =>
    (data) =>
      data === null ? null : (JSON.parse(data.toString('utf8')) as T),
  /** The bytes (a view into the fetched data, valid as long as you hold it). */
  buffer: ((data: Buffer | null) => data) as Deserializer<Buffer | null>,
};
