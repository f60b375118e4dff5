// Kafka UUIDs (topic ids, directory ids, ...) are 16 bytes on the wire. Samsa carries them as
// the 22-character unpadded base64url strings Kafka's own tools print, so they read the same
// in logs, configs and `kafka-topics --describe` output.

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidFromBytes(buf: Buffer, at = 0): string {
  return buf.toString('base64url', at, at + 16);
}

const UUID_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;

export function isUuid(s: string): boolean {
  return UUID_PATTERN.test(s);
}

/** Writes a UUID string into buf at `at`; throws a TypeError for a string that is not one. */
export function uuidToBytes(uuid: string, buf: Buffer, at = 0): void {
  if (!UUID_PATTERN.test(uuid)) throw new TypeError(`'${uuid}' is not a base64url Kafka UUID`);
  buf.write(uuid, at, 16, 'base64url');
}

/**
 * A random version-4 UUID, as Kafka generates topic ids. Like Kafka, it never returns the
 * reserved zero id or one whose string starts with '-', which command lines take for a flag.
 */
export function randomUuid(): string {
  for (;;) {
    const b = crypto.getRandomValues(Buffer.alloc(16));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const s = uuidFromBytes(b);
    if (!s.startsWith('-')) return s;
  }
}
