// `samsa produce TOPIC`: each line of stdin (or a file) becomes a record, optionally "key<SEP>value",
// with the same headers on every record. Lines are sent in chunks as they arrive, so an
// interactive session sees each line go out at once and a large file streams with bounded memory.

import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Compression, Message, RecordMetadata } from '../client/index.js';
import {
  CLIENT_OPTIONS,
  COMMON_HELP,
  expectPositionals,
  integerOption,
  parseArgs,
  parseChoice,
  parseKeyValue,
} from './args.js';
import { CliError, UsageError } from './cli-error.js';
import { CLI_RETRY, samsaFor, withAdmin } from './client.js';
import { print, printJson } from './output.js';

const HELP = `Usage: samsa produce TOPIC [options]

Sends each line of stdin (or of --file) as one record's value, UTF-8, without the newline.

Options:
  -f, --file PATH              Read lines from PATH instead of stdin
  -k, --key-separator SEP      Lines are KEY<SEP>VALUE (split at the first SEP); a line without SEP fails
  -H, --header key=value       Header on every record (repeat for more; a key may repeat)
  -p, --partition N            Send every record to partition N (default: by key, or sticky without)
      --acks 0|1|all           Default all (idempotent)
      --compression CODEC      none (default), gzip, snappy, lz4, zstd
      --linger-ms MS           How long a batch waits for more records (default 5)
      --batch-size BYTES       Batch size (default 16384)

Prints how many records went where (--json: {topic, records, partitions: [...]}).

${COMMON_HELP}`;

/** Lines per send() and sends in flight: enough to keep batches full, little memory. */
const CHUNK = 500;
const MAX_IN_FLIGHT = 16;

export async function runProduce(args: string[]): Promise<number> {
  const spec = {
    ...CLIENT_OPTIONS,
    file: { type: 'string', short: 'f' },
    'key-separator': { type: 'string', short: 'k' },
    header: { type: 'list', short: 'H' },
    partition: { type: 'string', short: 'p' },
    acks: { type: 'string' },
    compression: { type: 'string' },
    'linger-ms': { type: 'string' },
    'batch-size': { type: 'string' },
  } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa produce');
  if (o.help) {
    print(HELP);
    return 0;
  }
  expectPositionals(positionals, ['TOPIC'], 'samsa produce');
  const topic = positionals[0]!;
  const separator = o['key-separator'];
  if (separator === '') throw new UsageError('--key-separator must not be empty');
  const headers = (o.header ?? []).map((h) => {
    const [key, value] = parseKeyValue(h, '--header');
    return { key, value };
  });
  const partition =
    o.partition === undefined
      ? undefined
      : integerOption(o.partition, '--partition', 0, { min: 0 });
  const acks = parseChoice(o.acks ?? 'all', '--acks', ['0', '1', '-1', 'all']);
  const compression = parseChoice(o.compression ?? 'none', '--compression', [
    'none',
    'gzip',
    'snappy',
    'lz4',
    'zstd',
  ] as Compression[]);
  const lingerMs = integerOption(o['linger-ms'], '--linger-ms', 5, { min: 0 });
  const batchSize = integerOption(o['batch-size'], '--batch-size', 16_384, { min: 1 });

  // Name a missing topic (and a partition it lacks) before reading any input.
  await withAdmin(o, async (admin) => {
    const [d] = await admin.describeTopics({ topics: [topic] });
    const count = d!.partitions.length;
    if (partition !== undefined && partition >= count) {
      throw new CliError(`topic '${topic}' has no partition ${partition} (it has ${count})`);
    }
  });

  const input = o.file === undefined ? process.stdin : createReadStream(o.file);
  if (o.file !== undefined) {
    await once(input, 'ready').catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no such file' : err.message;
      throw new CliError(`cannot read ${o.file}: ${why}`);
    });
  } else if (process.stdin.isTTY) {
    process.stderr.write('Type one record per line; Ctrl-D sends the rest and ends.\n');
  }

  const producer = samsaFor(o, 'samsa-cli-producer').producer({
    acks: acks === 'all' ? -1 : (Number(acks) as 0 | 1 | -1),
    compression,
    lingerMs,
    batchSize,
    allowAutoTopicCreation: false,
    retry: CLI_RETRY,
  });
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // Node 24 throws on pause()/resume() of a closed interface, and sends still in flight when
  // stdin ends would otherwise resume it.
  let inputClosed = false;
  rl.once('close', () => {
    inputClosed = true;
  });
  const stats = new Map<number, { first: number; last: number; records: number }>();
  const inFlight = new Set<Promise<void>>();
  let chunk: Message[] = [];
  let flushScheduled = false;
  let failure: unknown;
  let lineNumber = 0;
  let records = 0;

  const noteSent = (metas: RecordMetadata[]) => {
    for (const m of metas) {
      const s = stats.get(m.partition);
      if (!s) stats.set(m.partition, { first: m.offset, last: m.offset, records: 1 });
      else {
        s.first = Math.min(s.first, m.offset);
        s.last = Math.max(s.last, m.offset);
        s.records++;
      }
    }
    records += metas.length;
  };
  const fail = (err: unknown) => {
    failure ??= err;
    rl.close();
  };
  const flush = () => {
    flushScheduled = false;
    if (chunk.length === 0 || failure !== undefined) return;
    const messages = chunk;
    chunk = [];
    const p: Promise<void> = producer
      .send({ topic, messages })
      .then(noteSent, fail)
      .finally(() => {
        inFlight.delete(p);
        if (inFlight.size < MAX_IN_FLIGHT && !inputClosed) rl.resume();
      });
    inFlight.add(p);
    if (inFlight.size >= MAX_IN_FLIGHT && !inputClosed) rl.pause();
  };
  rl.on('line', (line) => {
    lineNumber++;
    if (failure !== undefined) return;
    let key: string | null = null;
    let value = line;
    if (separator !== undefined) {
      const at = line.indexOf(separator);
      if (at < 0) {
        fail(new CliError(`line ${lineNumber} has no key separator '${separator}'`));
        return;
      }
      key = line.slice(0, at);
      value = line.slice(at + separator.length);
    }
    chunk.push({ key, value, headers: headers.length > 0 ? headers : undefined, partition });
    if (chunk.length >= CHUNK) flush();
    else if (!flushScheduled) {
      // Lines of one read arrive together: send them as one chunk, and a typed line at once.
      flushScheduled = true;
      setImmediate(flush);
    }
  });
  input.on('error', fail);
  const stop = () => rl.close();
  process.once('SIGINT', stop);
  try {
    await once(rl, 'close');
    flush();
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  } finally {
    process.off('SIGINT', stop);
    await producer.close().catch(() => undefined);
  }
  if (failure !== undefined) throw failure;

  const partitions = [...stats]
    .sort((a, b) => a[0] - b[0])
    .map(([p, s]) => ({
      partition: p,
      records: s.records,
      firstOffset: s.first,
      lastOffset: s.last,
    }));
  if (o.json) printJson({ topic, records, partitions });
  else if (partitions.length === 1) {
    const p = partitions[0]!;
    print(
      `Produced ${records} record${records === 1 ? '' : 's'} to '${topic}' partition ${p.partition}, offsets ${p.firstOffset}-${p.lastOffset}.`,
    );
  } else {
    print(
      `Produced ${records} record${records === 1 ? '' : 's'} to '${topic}' (${partitions.length} partitions).`,
    );
  }
  return 0;
}
