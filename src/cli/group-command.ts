// `samsa group list|describe|reset-offsets|delete`: consumer groups, their committed offsets and
// lag, in the shape of kafka-consumer-groups.
import type { Admin, GroupDescription, GroupOffset } from '../client/index.js';
import {
  CLIENT_OPTIONS,
  COMMON_HELP,
  expectPositionals,
  parseArgs,
  parseInteger,
  parseTimestamp,
} from './args.js';
import { CliError, UsageError } from './cli-error.js';
import { withAdmin } from './client.js';
import { groupState, note, print, printJson, style, table } from './output.js';

const HELP = `Usage: samsa group <subcommand> [options]

Subcommands:
  list                                   Groups with their state and member count
  describe GROUP                         Committed offset, log end offset and lag per partition,
                                         and which member owns it
  reset-offsets GROUP (--topic TOPIC ... | --all-topics) [--partition N ...]
                      (--to-earliest | --to-latest | --to-offset N | --to-datetime TIME | --shift-by N)
                      [--execute]        Shows the new offsets; applies them only with --execute.
                                         The group must have no active members. Offsets are kept
                                         within [log start, log end].
  delete GROUP...                        Deletes groups without active members

${COMMON_HELP}`;

export async function runGroup(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
      return list(rest);
    case 'describe':
      return describe(rest);
    case 'reset-offsets':
      return resetOffsets(rest);
    case 'delete':
      return remove(rest);
    case undefined:
    case '-h':
    case '--help':
      print(HELP);
      return 0;
    default:
      throw new UsageError(`unknown subcommand 'group ${sub}' (see 'samsa group --help')`);
  }
}

function help(): number {
  print(HELP);
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { options: o, positionals } = parseArgs(args, CLIENT_OPTIONS, 'samsa group list');
  if (o.help) return help();
  expectPositionals(positionals, [], 'samsa group list');
  return withAdmin(o, async (admin) => {
    const groups = await admin.listGroups();
    const described =
      groups.length > 0 ? await admin.describeGroups(groups.map((g) => g.groupId)) : [];
    const rows = described.map((g) => ({
      groupId: g.groupId,
      state: g.state,
      protocolType: g.protocolType,
      members: g.members.length,
    }));
    if (o.json) printJson(rows);
    else if (rows.length === 0) note('No groups.');
    else {
      const s = style();
      print(
        table(
          ['GROUP', 'STATE', 'MEMBERS', 'PROTOCOL-TYPE'],
          rows.map((r) => [r.groupId, groupState(r.state, s), r.members, r.protocolType]),
          s,
        ),
      );
    }
    return 0;
  });
}

/** The group, or a one-line error when the coordinator knows nothing of it. */
async function existingGroup(admin: Admin, groupId: string): Promise<GroupDescription> {
  const [g] = await admin.describeGroups([groupId]);
  if (!g || g.state === 'Dead') throw new CliError(`group '${groupId}' does not exist`);
  return g;
}

async function logEndOffsets(admin: Admin, topics: Iterable<string>, at: 'earliest' | 'latest') {
  const out = new Map<string, number>();
  for (const topic of new Set(topics)) {
    for (const a of await admin.listOffsets({ topic, at }))
      out.set(`${topic}/${a.partition}`, a.offset);
  }
  return out;
}

async function describe(args: string[]): Promise<number> {
  const { options: o, positionals } = parseArgs(args, CLIENT_OPTIONS, 'samsa group describe');
  if (o.help) return help();
  expectPositionals(positionals, ['GROUP'], 'samsa group describe');
  const groupId = positionals[0]!;
  return withAdmin(o, async (admin) => {
    const g = await existingGroup(admin, groupId);
    const committed = await admin.fetchGroupOffsets({ groupId });
    const owner = new Map<string, GroupDescription['members'][number]>();
    for (const m of g.members) {
      for (const tp of m.assignment ?? []) owner.set(`${tp.topic}/${tp.partition}`, m);
    }
    const keys = new Map<string, { topic: string; partition: number }>();
    for (const c of committed) keys.set(`${c.topic}/${c.partition}`, c);
    for (const m of g.members)
      for (const tp of m.assignment ?? []) keys.set(`${tp.topic}/${tp.partition}`, tp);
    const ends = await logEndOffsets(
      admin,
      [...keys.values()].map((k) => k.topic),
      'latest',
    );
    const current = new Map(committed.map((c) => [`${c.topic}/${c.partition}`, c.offset]));
    const offsets = [...keys]
      .sort(([, a], [, b]) =>
        a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
      )
      .map(([k, tp]) => {
        const cur = current.get(k);
        const end = ends.get(k);
        const currentOffset = cur === undefined || cur < 0 ? null : cur;
        const m = owner.get(k);
        return {
          topic: tp.topic,
          partition: tp.partition,
          currentOffset,
          logEndOffset: end ?? null,
          lag:
            currentOffset === null || end === undefined ? null : Math.max(0, end - currentOffset),
          memberId: m?.memberId ?? null,
          clientId: m?.clientId ?? null,
          host: m?.clientHost ?? null,
        };
      });
    const members = g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: m.assignment ?? [],
    }));
    if (o.json) {
      printJson({
        groupId,
        state: g.state,
        protocolType: g.protocolType,
        protocol: g.protocol,
        members,
        offsets,
        totalLag: offsets.reduce((n, r) => n + (r.lag ?? 0), 0),
      });
      return 0;
    }
    const s = style();
    const totalLag = offsets.reduce((n, r) => n + (r.lag ?? 0), 0);
    print(
      `${s.bold('Group:')} ${groupId}  ${s.bold('State:')} ${groupState(g.state, s)}  ` +
        `${s.bold('Assignor:')} ${g.protocol || '-'}  ${s.bold('Members:')} ${members.length}  ${s.bold('Total lag:')} ${totalLag}`,
    );
    if (offsets.length === 0) {
      print('No committed offsets or assigned partitions.');
      return 0;
    }
    print(
      table(
        [
          'TOPIC',
          'PARTITION',
          'CURRENT-OFFSET',
          'LOG-END-OFFSET',
          'LAG',
          'CONSUMER-ID',
          'HOST',
          'CLIENT-ID',
        ],
        offsets.map((r) => [
          r.topic,
          r.partition,
          r.currentOffset,
          r.logEndOffset,
          r.lag,
          r.memberId,
          r.host,
          r.clientId,
        ]),
        s,
      ),
    );
    return 0;
  });
}

async function resetOffsets(args: string[]): Promise<number> {
  const spec = {
    ...CLIENT_OPTIONS,
    topic: { type: 'list', short: 't' },
    'all-topics': { type: 'boolean' },
    partition: { type: 'list', short: 'p' },
    'to-earliest': { type: 'boolean' },
    'to-latest': { type: 'boolean' },
    'to-offset': { type: 'string' },
    'to-datetime': { type: 'string' },
    'shift-by': { type: 'string' },
    execute: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa group reset-offsets');
  if (o.help) return help();
  expectPositionals(positionals, ['GROUP'], 'samsa group reset-offsets');
  const groupId = positionals[0]!;
  const targets = (
    ['to-earliest', 'to-latest', 'to-offset', 'to-datetime', 'shift-by'] as const
  ).filter((k) => o[k] !== undefined);
  if (targets.length !== 1) {
    throw new UsageError(
      'give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by',
    );
  }
  if ((o.topic === undefined) === (o['all-topics'] !== true)) {
    throw new UsageError('give --topic TOPIC (repeatable) or --all-topics');
  }
  if (o.execute && o['dry-run']) throw new UsageError('give --execute or --dry-run, not both');
  const toOffset =
    o['to-offset'] === undefined
      ? undefined
      : parseInteger(o['to-offset'], '--to-offset', { min: 0 });
  const shiftBy =
    o['shift-by'] === undefined ? undefined : parseInteger(o['shift-by'], '--shift-by');
  const toTime =
    o['to-datetime'] === undefined ? undefined : parseTimestamp(o['to-datetime'], '--to-datetime');
  const onlyPartitions = o.partition?.map((p) => parseInteger(p, '--partition', { min: 0 }));
  return withAdmin(o, async (admin) => {
    const [g] = await admin.describeGroups([groupId]);
    if (g && g.members.length > 0) {
      throw new CliError(
        `group '${groupId}' has ${g.members.length} active member(s) (state ${g.state}); stop its consumers first`,
      );
    }
    const committed = await admin.fetchGroupOffsets({ groupId });
    const topics = o.topic ?? [...new Set(committed.map((c) => c.topic))];
    if (topics.length === 0)
      throw new CliError(`group '${groupId}' has no committed offsets; name a --topic`);
    const described = await admin.describeTopics({ topics });
    const current = new Map(committed.map((c) => [`${c.topic}/${c.partition}`, c.offset]));
    const earliest = await logEndOffsets(admin, topics, 'earliest');
    const latest = await logEndOffsets(admin, topics, 'latest');
    const plan: (GroupOffset & { currentOffset: number | null })[] = [];
    for (const t of described) {
      for (const p of t.partitions) {
        if (onlyPartitions && !onlyPartitions.includes(p.partition)) continue;
        const k = `${t.name}/${p.partition}`;
        const lo = earliest.get(k) ?? 0;
        const hi = latest.get(k) ?? 0;
        const cur = current.get(k);
        const currentOffset = cur === undefined || cur < 0 ? null : cur;
        let target: number;
        if (o['to-earliest']) target = lo;
        else if (o['to-latest']) target = hi;
        else if (toOffset !== undefined) target = toOffset;
        else if (shiftBy !== undefined) target = (currentOffset ?? lo) + shiftBy;
        else {
          const [a] = await admin.listOffsets({
            topic: t.name,
            partitions: [p.partition],
            at: { timestamp: toTime! },
          });
          target = a && a.offset >= 0 ? a.offset : hi;
        }
        plan.push({
          topic: t.name,
          partition: p.partition,
          currentOffset,
          offset: Math.min(hi, Math.max(lo, target)),
        });
      }
    }
    if (onlyPartitions) {
      const missing = onlyPartitions.filter((p) => !plan.some((x) => x.partition === p));
      if (missing.length > 0)
        throw new CliError(`no partition ${missing.join(', ')} in ${topics.join(', ')}`);
    }
    if (o.execute) {
      for (const topic of topics) {
        const offsets = plan
          .filter((x) => x.topic === topic)
          .map((x) => ({ partition: x.partition, offset: x.offset }));
        if (offsets.length > 0) await admin.resetGroupOffsets({ groupId, topic, offsets });
      }
    }
    if (o.json) {
      printJson({
        groupId,
        executed: o.execute === true,
        offsets: plan.map((x) => ({
          topic: x.topic,
          partition: x.partition,
          previousOffset: x.currentOffset,
          newOffset: x.offset,
        })),
      });
      return 0;
    }
    print(
      table(
        ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'],
        plan.map((x) => [x.topic, x.partition, x.currentOffset, x.offset]),
      ),
    );
    if (!o.execute) note('Dry run: nothing changed. Add --execute to apply these offsets.');
    else note(`Offsets of group '${groupId}' reset.`);
    return 0;
  });
}

async function remove(args: string[]): Promise<number> {
  const { options: o, positionals } = parseArgs(args, CLIENT_OPTIONS, 'samsa group delete');
  if (o.help) return help();
  expectPositionals(positionals, ['GROUP'], 'samsa group delete', { variadic: true });
  return withAdmin(o, async (admin) => {
    await admin.deleteGroups(positionals);
    if (o.json) printJson({ deleted: positionals });
    else
      print(
        `Deleted group${positionals.length === 1 ? '' : 's'} ${positionals.map((g) => `'${g}'`).join(', ')}.`,
      );
    return 0;
  });
}
