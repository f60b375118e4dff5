// `samsa topic create|list|describe|delete|alter-config`: topics through the admin client.
import type { Admin, ConfigEntry, TopicDescription } from '../client/index.js';
import {
  CLIENT_OPTIONS,
  COMMON_HELP,
  expectPositionals,
  integerOption,
  parseArgs,
  parseKeyValue,
} from './args.js';
import { UsageError } from './cli-error.js';
import { withAdmin } from './client.js';
import { print, printJson, style, table } from './output.js';

const HELP = `Usage: samsa topic <subcommand> [options]

Subcommands:
  create TOPIC [--partitions N] [--replication-factor N] [--config key=value ...]
               [--if-not-exists] [--validate-only]
  list [--internal]                      Topics with their partition count and replication factor
  describe TOPIC...                      Partitions (leader, replicas, ISR, offsets) and topic configs
  delete TOPIC... [--if-exists]
  alter-config TOPIC [--set key=value ...] [--delete key ...] [--validate-only]
                                         Change topic configs (Kafka names: retention.ms, cleanup.policy, ...)

${COMMON_HELP}`;

export async function runTopic(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create':
      return create(rest);
    case 'list':
      return list(rest);
    case 'describe':
      return describe(rest);
    case 'delete':
      return remove(rest);
    case 'alter-config':
      return alterConfig(rest);
    case undefined:
    case '-h':
    case '--help':
      print(HELP);
      return 0;
    default:
      throw new UsageError(`unknown subcommand 'topic ${sub}' (see 'samsa topic --help')`);
  }
}

async function create(args: string[]): Promise<number> {
  const spec = {
    ...CLIENT_OPTIONS,
    partitions: { type: 'string', short: 'p' },
    'replication-factor': { type: 'string', short: 'r' },
    config: { type: 'list', short: 'c' },
    'if-not-exists': { type: 'boolean' },
    'validate-only': { type: 'boolean' },
  } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa topic create');
  if (o.help) return help();
  expectPositionals(positionals, ['TOPIC'], 'samsa topic create');
  const topic = positionals[0]!;
  const numPartitions = integerOption(o.partitions, '--partitions', -1, { min: 1 });
  const replicationFactor = integerOption(o['replication-factor'], '--replication-factor', -1, {
    min: 1,
  });
  const configs = Object.fromEntries((o.config ?? []).map((c) => parseKeyValue(c, '--config')));
  return withAdmin(o, async (admin) => {
    const existed =
      o['if-not-exists'] === true &&
      (await admin.listTopics({ includeInternal: true })).includes(topic);
    if (!existed) {
      await admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: numPartitions < 0 ? undefined : numPartitions,
            replicationFactor: replicationFactor < 0 ? undefined : replicationFactor,
            configs,
          },
        ],
        validateOnly: o['validate-only'] === true,
        ifNotExists: o['if-not-exists'] === true,
      });
    }
    if (o['validate-only']) {
      if (o.json) printJson({ topic, created: false, valid: true });
      else print(`Topic '${topic}' would be created (validate only).`);
      return 0;
    }
    const [d] = await admin.describeTopics({ topics: [topic] });
    const partitions = d!.partitions.length;
    const rf = d!.partitions[0]?.replicas.length ?? 0;
    if (o.json) printJson({ topic, created: !existed, partitions, replicationFactor: rf });
    else if (existed) print(`Topic '${topic}' already exists (${partitions} partitions).`);
    else
      print(
        `Created topic '${topic}' (${plural(partitions, 'partition')}, replication factor ${rf}).`,
      );
    return 0;
  });
}

async function list(args: string[]): Promise<number> {
  const spec = { ...CLIENT_OPTIONS, internal: { type: 'boolean' } } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa topic list');
  if (o.help) return help();
  expectPositionals(positionals, [], 'samsa topic list');
  return withAdmin(o, async (admin) => {
    const names = await admin.listTopics({ includeInternal: o.internal === true });
    const described = names.length > 0 ? await admin.describeTopics({ topics: names }) : [];
    const rows = described.map((t) => ({
      topic: t.name,
      partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.replicas.length ?? 0,
      internal: t.isInternal,
    }));
    if (o.json) printJson(rows);
    else if (rows.length === 0) process.stderr.write('No topics.\n');
    else
      print(
        table(
          ['TOPIC', 'PARTITIONS', 'REPLICATION-FACTOR'],
          rows.map((r) => [r.topic, r.partitions, r.replicationFactor]),
        ),
      );
    return 0;
  });
}

async function describe(args: string[]): Promise<number> {
  const { options: o, positionals } = parseArgs(args, CLIENT_OPTIONS, 'samsa topic describe');
  if (o.help) return help();
  expectPositionals(positionals, ['TOPIC'], 'samsa topic describe', { variadic: true });
  return withAdmin(o, async (admin) => {
    const topics = await admin.describeTopics({ topics: positionals });
    const out = [];
    for (const t of topics) out.push(await describeOne(admin, t));
    if (o.json) {
      printJson(out);
      return 0;
    }
    const s = style();
    const blocks = out.map((t) => {
      const head =
        `${s.bold('Topic:')} ${t.topic}  ${s.bold('Id:')} ${t.topicId}  ` +
        `${s.bold('Partitions:')} ${t.partitions.length}  ${s.bold('Replication factor:')} ${t.replicationFactor}`;
      const configs = Object.entries(t.configs);
      const cfg = `${s.bold('Configs:')} ${configs.length === 0 ? '(defaults)' : configs.map(([k, v]) => `${k}=${v}`).join(', ')}`;
      const rows = t.partitions.map((p) => [
        p.partition,
        p.leader,
        p.replicas.join(','),
        p.isr.join(','),
        p.logStartOffset,
        p.highWatermark,
      ]);
      return `${head}\n${cfg}\n${table(['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOG-START-OFFSET', 'HIGH-WATERMARK'], rows, s)}`;
    });
    print(blocks.join('\n'));
    return 0;
  });
}

async function describeOne(admin: Admin, t: TopicDescription) {
  const [earliest, latest, configs] = await Promise.all([
    admin.listOffsets({ topic: t.name, at: 'earliest' }),
    admin.listOffsets({ topic: t.name, at: 'latest' }),
    admin.describeConfigs({ resources: [{ type: 'topic', name: t.name }] }),
  ]);
  const start = new Map(earliest.map((a) => [a.partition, a.offset]));
  const end = new Map(latest.map((a) => [a.partition, a.offset]));
  return {
    topic: t.name,
    topicId: t.topicId,
    internal: t.isInternal,
    replicationFactor: t.partitions[0]?.replicas.length ?? 0,
    // Only the topic's own overrides, as kafka-topics --describe shows them.
    configs: Object.fromEntries(
      (configs[0]?.configs ?? [])
        .filter((c: ConfigEntry) => c.source === 'DYNAMIC_TOPIC_CONFIG')
        .map((c) => [c.name, c.isSensitive ? '(sensitive)' : c.value]),
    ) as Record<string, string | null>,
    partitions: t.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas,
      isr: p.isr,
      logStartOffset: start.get(p.partition) ?? -1,
      highWatermark: end.get(p.partition) ?? -1,
    })),
  };
}

async function remove(args: string[]): Promise<number> {
  const spec = { ...CLIENT_OPTIONS, 'if-exists': { type: 'boolean' } } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa topic delete');
  if (o.help) return help();
  expectPositionals(positionals, ['TOPIC'], 'samsa topic delete', { variadic: true });
  return withAdmin(o, async (admin) => {
    let topics = positionals;
    if (o['if-exists']) {
      const existing = new Set(await admin.listTopics({ includeInternal: true }));
      topics = topics.filter((t) => existing.has(t));
    }
    if (topics.length > 0) await admin.deleteTopics({ topics });
    if (o.json) printJson({ deleted: topics });
    else if (topics.length === 0) print('No such topic; nothing deleted.');
    else print(`Deleted ${topics.map((t) => `'${t}'`).join(', ')}.`);
    return 0;
  });
}

async function alterConfig(args: string[]): Promise<number> {
  const spec = {
    ...CLIENT_OPTIONS,
    set: { type: 'list' },
    delete: { type: 'list' },
    'validate-only': { type: 'boolean' },
  } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa topic alter-config');
  if (o.help) return help();
  expectPositionals(positionals, ['TOPIC'], 'samsa topic alter-config');
  const topic = positionals[0]!;
  const set = (o.set ?? []).map((kv) => parseKeyValue(kv, '--set'));
  const del = o.delete ?? [];
  if (set.length === 0 && del.length === 0) {
    throw new UsageError("'samsa topic alter-config' needs --set key=value or --delete key");
  }
  return withAdmin(o, async (admin) => {
    // IncrementalAlterConfigs answers for unknown topics with a generic error; name it first.
    await admin.describeTopics({ topics: [topic] });
    await admin.alterConfigs({
      resources: [
        {
          type: 'topic',
          name: topic,
          configs: [
            ...set.map(([name, value]) => ({ name, value, op: 'set' as const })),
            ...del.map((name) => ({ name, op: 'delete' as const })),
          ],
        },
      ],
      validateOnly: o['validate-only'] === true,
    });
    if (o.json) {
      printJson({
        topic,
        set: Object.fromEntries(set),
        deleted: del,
        validateOnly: o['validate-only'] === true,
      });
      return 0;
    }
    const parts = [
      ...set.map(([k, v]) => `${k}=${v}`),
      ...del.map((k) => `${k} back to its default`),
    ];
    print(
      `${o['validate-only'] ? 'Valid, not applied' : 'Updated'}: topic '${topic}' ${parts.join(', ')}.`,
    );
    return 0;
  });
}

function help(): number {
  print(HELP);
  return 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
