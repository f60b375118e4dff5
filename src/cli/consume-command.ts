// `samsa consume TOPIC`: prints records as text (a template) or JSON lines, from the end (the
// default, as Kafka's console consumer), the beginning, an offset or a time, alone or as a member
// of a consumer group, until -n records, an idle timeout or Ctrl-C.
import type { ConsumerMessage, PartitionAssignment } from '../client/index.js';
import {
  CLIENT_OPTIONS,
  COMMON_HELP,
  expectPositionals,
  integerOption,
  parseArgs,
  parseChoice,
  parseInteger,
  parseTimestamp,
} from './args.js';
import { CliError, UsageError } from './cli-error.js';
import { CLI_RETRY, samsaFor, withAdmin } from './client.js';
import { print } from './output.js';

const HELP = `Usage: samsa consume TOPIC [options]

Prints records of TOPIC, one per line. Without a start option it waits for new records only.

Where to start (without --group):
      --from-beginning         The earliest offset still kept
  -o, --offset OFFSET          earliest, latest or a number (every partition read, or --partition)
      --from-timestamp TIME    The first record at or after TIME (ms since the epoch or ISO date)
  -p, --partition N            Read only partition N (repeat for more; default all)
With a group:
  -g, --group GROUP            Read as a member of GROUP: start at its committed offsets (or per
                               --from-beginning when it has none) and commit what was printed

When to stop:
  -n, --max-messages N         Exit after N records
      --timeout-ms MS          Exit when no record came for MS
  (otherwise Ctrl-C; the count goes to stderr)

Output:
      --format TEMPLATE        Default '{value}'. Placeholders: {topic} {partition} {offset}
                               {timestamp} {time} (ISO) {key} {value} {headers} (k=v,...);
                               \\t and \\n are tab and newline
      --json                   One JSON object per record: topic, partition, offset, timestamp,
                               key, value, headers [{key, value}]
      --encoding ENC           How keys/values/headers are shown: utf8 (default), base64, hex
      --isolation-level LEVEL  read_uncommitted (default) or read_committed

${COMMON_HELP}`;

const FIELDS = ['topic', 'partition', 'offset', 'timestamp', 'time', 'key', 'value', 'headers'];
type Encoding = 'utf8' | 'base64' | 'hex';

export async function runConsume(args: string[]): Promise<number> {
  const spec = {
    ...CLIENT_OPTIONS,
    'from-beginning': { type: 'boolean' },
    offset: { type: 'string', short: 'o' },
    'from-timestamp': { type: 'string' },
    partition: { type: 'list', short: 'p' },
    group: { type: 'string', short: 'g' },
    'max-messages': { type: 'string', short: 'n' },
    'timeout-ms': { type: 'string' },
    format: { type: 'string' },
    encoding: { type: 'string' },
    'isolation-level': { type: 'string' },
  } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa consume');
  if (o.help) {
    print(HELP);
    return 0;
  }
  expectPositionals(positionals, ['TOPIC'], 'samsa consume');
  const topic = positionals[0]!;
  const starts = [o['from-beginning'], o.offset, o['from-timestamp']].filter(
    (x) => x !== undefined,
  );
  if (starts.length > 1) {
    throw new UsageError('give only one of --from-beginning, --offset, --from-timestamp');
  }
  if (o.group !== undefined && (o.offset !== undefined || o['from-timestamp'] !== undefined)) {
    throw new UsageError(
      "--group starts at the group's committed offsets; move them with 'samsa group reset-offsets'",
    );
  }
  if (o.group !== undefined && o.partition !== undefined) {
    throw new UsageError('--group lets the group assign partitions; leave out --partition');
  }
  if (o.json && o.format !== undefined) throw new UsageError('give --json or --format, not both');
  const offset = parseStartOffset(o.offset);
  const timestamp =
    o['from-timestamp'] === undefined
      ? undefined
      : parseTimestamp(o['from-timestamp'], '--from-timestamp');
  const wanted = o.partition?.map((p) => parseInteger(p, '--partition', { min: 0 }));
  const max = integerOption(o['max-messages'], '--max-messages', Number.POSITIVE_INFINITY, {
    min: 1,
  });
  const idleMs = integerOption(o['timeout-ms'], '--timeout-ms', 0, { min: 1 });
  const encoding = parseChoice(o.encoding ?? 'utf8', '--encoding', [
    'utf8',
    'base64',
    'hex',
  ] as Encoding[]);
  const isolationLevel = parseChoice(
    o['isolation-level'] ?? 'read_uncommitted',
    '--isolation-level',
    ['read_uncommitted', 'read_committed'] as const,
  );
  const render = o.json ? jsonLine(encoding) : template(o.format ?? '{value}', encoding);

  // Where each partition starts, worked out (and the topic checked) before joining anything.
  const assignments = await withAdmin(o, async (admin) => {
    const [d] = await admin.describeTopics({ topics: [topic] });
    const count = d!.partitions.length;
    for (const p of wanted ?? []) {
      if (p >= count)
        throw new CliError(`topic '${topic}' has no partition ${p} (it has ${count})`);
    }
    const partitions = wanted ?? d!.partitions.map((p) => p.partition);
    if (timestamp === undefined) {
      const at = o['from-beginning'] ? 'earliest' : (offset ?? 'latest');
      return partitions.map((partition): PartitionAssignment => ({ topic, partition, offset: at }));
    }
    const found = await admin.listOffsets({ topic, partitions, at: { timestamp } });
    // -1: nothing that recent; start at the end, as Kafka's consumer does.
    return found.map(
      (a): PartitionAssignment => ({
        topic,
        partition: a.partition,
        offset: a.offset < 0 ? 'latest' : a.offset,
      }),
    );
  });

  const consumer = samsaFor(o, 'samsa-cli-consumer').consumer({
    groupId: o.group,
    autoOffsetReset: o['from-beginning'] ? 'earliest' : 'latest',
    isolationLevel,
    retry: CLI_RETRY,
  });
  let count = 0;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (idleMs <= 0) return;
    clearTimeout(idle);
    idle = setTimeout(() => consumer.stop(), idleMs);
  };
  const stop = () => consumer.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const out = new LineWriter();
  try {
    if (o.group !== undefined)
      await consumer.subscribe({ topics: [topic], fromBeginning: o['from-beginning'] });
    else await consumer.assign(assignments);
    armIdle();
    if (count < max) {
      for await (const m of consumer) {
        await out.write(render(m));
        count++;
        if (count >= max) break;
        armIdle();
      }
    }
    await out.end();
  } finally {
    clearTimeout(idle);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await consumer.close().catch(() => undefined);
  }
  process.stderr.write(`Consumed ${count} record${count === 1 ? '' : 's'}.\n`);
  return 0;
}

function parseStartOffset(value: string | undefined): PartitionAssignment['offset'] {
  if (value === undefined || value === 'earliest' || value === 'latest') return value;
  return parseInteger(value, '--offset', { min: 0 });
}

function text(b: Buffer | null, encoding: Encoding): string | null {
  return b === null ? null : b.toString(encoding);
}

function jsonLine(encoding: Encoding) {
  return (m: ConsumerMessage) =>
    `${JSON.stringify({
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: text(m.key, encoding),
      value: text(m.value, encoding),
      headers: m.headers.map((h) => ({ key: h.key, value: text(h.value, encoding) })),
    })}\n`;
}

/** Compiles '{offset}\t{value}' into a function; an unknown placeholder is a usage error. */
export function template(format: string, encoding: Encoding): (m: ConsumerMessage) => string {
  const unescaped = format.replace(/\\([tn\\])/g, (_, c: string) =>
    c === 't' ? '\t' : c === 'n' ? '\n' : '\\',
  );
  const parts: (string | ((m: ConsumerMessage) => string))[] = [];
  let last = 0;
  for (const match of unescaped.matchAll(/\{(\w+)\}/g)) {
    const name = match[1]!;
    if (!FIELDS.includes(name)) {
      throw new UsageError(
        `--format: unknown placeholder {${name}} (use ${FIELDS.map((f) => `{${f}}`).join(' ')})`,
      );
    }
    parts.push(unescaped.slice(last, match.index), field(name, encoding));
    last = match.index + match[0].length;
  }
  parts.push(unescaped.slice(last));
  return (m) => {
    let s = '';
    for (const p of parts) s += typeof p === 'string' ? p : p(m);
    return `${s}\n`;
  };
}

function field(name: string, encoding: Encoding): (m: ConsumerMessage) => string {
  switch (name) {
    case 'topic':
      return (m) => m.topic;
    case 'partition':
      return (m) => String(m.partition);
    case 'offset':
      return (m) => String(m.offset);
    case 'timestamp':
      return (m) => String(m.timestamp);
    case 'time':
      return (m) => new Date(m.timestamp).toISOString();
    case 'key':
      return (m) => text(m.key, encoding) ?? 'null';
    case 'value':
      return (m) => text(m.value, encoding) ?? 'null';
    default:
      return (m) => m.headers.map((h) => `${h.key}=${text(h.value, encoding) ?? 'null'}`).join(',');
  }
}

/** Collects output lines into larger writes and waits when stdout is full (a slow pipe). */
class LineWriter {
  private pending = '';
  private scheduled = false;

  async write(line: string): Promise<void> {
    this.pending += line;
    if (this.pending.length >= 64 * 1024) await this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  async end(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    if (!process.stdout.write(chunk)) {
      await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
    }
  }
}
