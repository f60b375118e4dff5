// "Ready" for both brokers means the same thing: a client can connect and a Metadata request
// names at least one live broker (and, when asked, a leader for every partition of a topic).
// Kafka opens its port before the broker has registered with its controller, so an open port
// alone would flatter it; a Metadata answer is what a client actually waits for.
import { connect } from 'node:net';
import { MetadataApi } from '../../src/protocol/messages/metadata.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { sleep } from './proc.js';

const METADATA_VERSION = 1;

function metadataRequest(correlationId: number, topic?: string): Buffer {
  const clientId = Buffer.from('samsa-bench-probe');
  const parts: Buffer[] = [];
  const head = Buffer.alloc(8 + 2);
  head.writeInt16BE(3, 0); // Metadata
  head.writeInt16BE(METADATA_VERSION, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(clientId.length, 8);
  parts.push(head, clientId);
  if (topic === undefined) {
    const topics = Buffer.alloc(4);
    topics.writeInt32BE(-1, 0);
    parts.push(topics);
  } else {
    const name = Buffer.from(topic);
    const t = Buffer.alloc(6);
    t.writeInt32BE(1, 0);
    t.writeInt16BE(name.length, 4);
    parts.push(t, name);
  }
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** One Metadata round trip; resolves true when the answer shows a usable broker (and topic). */
export function probeOnce(port: number, topic?: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
    socket.on('connect', () => socket.write(metadataRequest(1, topic)));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      try {
        const r = new Reader(buf, 8, 4 + buf.readInt32BE(0));
        const res = MetadataApi.decodeResponse(r, METADATA_VERSION);
        if (res.brokers.length === 0) return done(false);
        if (topic === undefined) return done(true);
        const t = res.topics.find((x) => x.name === topic);
        done(
          !!t &&
            t.errorCode === 0 &&
            t.partitions.length > 0 &&
            t.partitions.every((p) => p.leaderId >= 0 && p.errorCode === 0),
        );
      } catch {
        done(false);
      }
    });
  });
}

/**
 * Polls until the broker is ready; resolves with the time it took from `since`
 * (performance.now() at spawn), or rejects when `alive()` turns false or time runs out.
 */
export async function waitReady(options: {
  port: number;
  since: number;
  alive: () => boolean;
  topic?: string;
  timeoutMs?: number;
  intervalMs?: number;
}): Promise<number> {
  const deadline = options.since + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (!options.alive()) throw new Error('broker exited before it was ready');
    if (await probeOnce(options.port, options.topic)) return performance.now() - options.since;
    if (performance.now() > deadline) throw new Error('broker was not ready in time');
    await sleep(options.intervalMs ?? 10);
  }
}
