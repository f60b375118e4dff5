// The offset map pass needs only each record's offset delta and key: this walks a batch's records
// section reading those two and jumping over the rest by the record's length, with no objects per
// record (iterateRecords decodes values and headers too). Record layout: protocol/records/record.ts.
import type { RecordBatchHeader } from '../../protocol/records/batch-header.js';
import { recordsPayload } from '../../protocol/records/record.js';

export class MalformedRecordsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRecordsError';
  }
}

/**
 * Calls `visit` with the offset delta and key (null when absent) of each record of `batch`, until
 * it returns false; returns false when it stopped early.
 */
export function forEachKey(
  batch: RecordBatchHeader,
  visit: (offsetDelta: number, key: Buffer | null) => boolean,
): boolean {
  const payload = recordsPayload(batch);
  const end = payload.length;
  let pos = 0;
  // Unsigned LEB128, zigzag-decoded; at most 5 bytes for the int32 fields read here.
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) throw new MalformedRecordsError('truncated record');
      const b = payload[pos++]!;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (value >>> 1) ^ -(value & 1);
    }
    throw new MalformedRecordsError('varint longer than 5 bytes');
  };
  const skipVarlong = () => {
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new MalformedRecordsError('truncated record');
      if ((payload[pos++]! & 0x80) === 0) return;
    }
    throw new MalformedRecordsError('varlong longer than 10 bytes');
  };
  for (let i = batch.recordsCount; i > 0; i--) {
    const length = varint();
    const recordEnd = pos + length;
    if (length < 0 || recordEnd > end) throw new MalformedRecordsError(`record length ${length}`);
    pos++; // attributes
    skipVarlong(); // timestamp delta
    const offsetDelta = varint();
    const keyLength = varint();
    if (keyLength < -1 || pos + Math.max(keyLength, 0) > recordEnd)
      throw new MalformedRecordsError(`record key length ${keyLength}`);
    if (!visit(offsetDelta, keyLength === -1 ? null : payload.subarray(pos, pos + keyLength)))
      return false;
    pos = recordEnd;
  }
  if (pos !== end) throw new MalformedRecordsError(`${end - pos} bytes after the last record`);
  return true;
}
