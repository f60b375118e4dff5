// `samsa cluster reassign|decommission|add-broker`: moving partitions between brokers. A plan
// (from a file, or computed to empty a broker or fill a new one) is handed to the controller
// with AlterPartitionReassignments; then, unless --no-wait, the command follows the moves with
// ListPartitionReassignments (a progress line on stderr), checks the outcome, and gives
// leadership to each moved partition's first replica (a preferred leader election).
import { readFileSync } from 'node:fs';
import type { Admin } from '../client/index.js';
import { CLIENT_OPTIONS, expectPositionals, integerOption, parseArgs } from './args.js';
import { CliError, UsageError } from './cli-error.js';
import { withAdmin } from './client.js';
import { note, print, printJson, style, table } from './output.js';
import {
  addBrokerPlan,
  decommissionPlan,
  formatPlan,
  type PlacedPartition,
  parsePlan,
} from './reassign-plan.js';

export const REASSIGN_HELP = `  reassign PLAN.json [--no-wait]        Move partitions as a plan says (kafka-reassign-partitions'
                                        JSON: {"version":1,"partitions":[{"topic","partition","replicas"}]})
  reassign --verify PLAN.json           Whether each partition of the plan is moved, moving, or not
  reassign --cancel PLAN.json           Cancel the plan's moves under way (back to the old replicas)
  reassign --list                       Every move under way
  decommission BROKER [--no-wait]       Move every replica off BROKER (replication factors kept,
                                        spread over the other live brokers)
  add-broker BROKER [--no-wait]         Move a fair share of replicas and leaders onto BROKER
  (decommission and add-broker take --dry-run: print the plan JSON and change nothing;
   waiting commands take --timeout-ms MS, default 600000)`;

const MOVE_OPTIONS = {
  ...CLIENT_OPTIONS,
  'no-wait': { type: 'boolean' },
  'timeout-ms': { type: 'string' },
} as const;

interface Placement {
  partitions: (PlacedPartition & { leader: number; isr: number[] })[];
  brokers: number[];
}

async function placement(admin: Admin): Promise<Placement> {
  const names = await admin.listTopics({ includeInternal: true });
  const topics = names.length > 0 ? await admin.describeTopics({ topics: names }) : [];
  const cluster = await admin.describeCluster();
  return {
    partitions: topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partition,
        replicas: p.replicas,
        leader: p.leader,
        isr: p.isr,
      })),
    ),
    brokers: cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b),
  };
}

const tp = (p: { topic: string; partition: number }) => `${p.topic}/${p.partition}`;

export async function runReassign(args: string[], help: string): Promise<number> {
  const spec = {
    ...MOVE_OPTIONS,
    verify: { type: 'boolean' },
    cancel: { type: 'boolean' },
    list: { type: 'boolean' },
  } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa cluster reassign');
  if (o.help) {
    print(help);
    return 0;
  }
  const modes = [o.verify, o.cancel, o.list].filter(Boolean).length;
  if (modes > 1) throw new UsageError('give one of --verify, --cancel, --list');
  if (o.list) {
    expectPositionals(positionals, [], 'samsa cluster reassign --list');
    return withAdmin(o, (admin) => list(admin, o.json === true));
  }
  expectPositionals(positionals, ['PLAN.json'], 'samsa cluster reassign');
  const file = positionals[0]!;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const plan = parsePlan(text, file);
  if (plan.length === 0) throw new UsageError(`${file} lists no partitions`);
  return withAdmin(o, async (admin) => {
    if (o.verify) return verify(admin, plan, o.json === true);
    if (o.cancel) {
      await admin.alterPartitionReassignments({
        reassignments: plan.map((p) => ({ ...p, replicas: null })),
      });
      if (o.json)
        printJson({ cancelled: plan.map((p) => ({ topic: p.topic, partition: p.partition })) });
      else print(`Cancelled the moves of ${plural(plan.length, 'partition')}.`);
      return 0;
    }
    return execute(admin, plan, o, `the plan in ${file}`);
  });
}

export async function runDecommission(args: string[], help: string): Promise<number> {
  return runComputed(args, help, 'decommission', (current, broker) =>
    decommissionPlan(current.partitions, broker, current.brokers),
  );
}

export async function runAddBroker(args: string[], help: string): Promise<number> {
  return runComputed(args, help, 'add-broker', (current, broker) => {
    if (!current.brokers.includes(broker)) {
      throw new CliError(
        `broker ${broker} is not registered (live brokers: ${current.brokers.join(', ')}); start it first`,
      );
    }
    return addBrokerPlan(current.partitions, broker, current.brokers);
  });
}

async function runComputed(
  args: string[],
  help: string,
  name: string,
  compute: (current: Placement, broker: number) => PlacedPartition[],
): Promise<number> {
  const spec = { ...MOVE_OPTIONS, 'dry-run': { type: 'boolean' } } as const;
  const command = `samsa cluster ${name}`;
  const { options: o, positionals } = parseArgs(args, spec, command);
  if (o.help) {
    print(help);
    return 0;
  }
  expectPositionals(positionals, ['BROKER'], command);
  const broker = integerOption(positionals[0], 'BROKER', 0, { min: 0 });
  return withAdmin(o, async (admin) => {
    const ongoing = await admin.listPartitionReassignments();
    if (ongoing.length > 0) {
      throw new CliError(
        `${plural(ongoing.length, 'partition')} ${ongoing.length === 1 ? 'is' : 'are'} being moved already (see 'samsa cluster reassign --list'); wait for them or cancel them first`,
      );
    }
    const plan = compute(await placement(admin), broker);
    if (o['dry-run']) {
      print(formatPlan(plan));
      return 0;
    }
    if (plan.length === 0) {
      if (o.json) printJson({ broker, partitions: [], seconds: 0 });
      else print(`Nothing to move for broker ${broker}.`);
      return 0;
    }
    return execute(
      admin,
      plan,
      o,
      name === 'decommission'
        ? `broker ${broker}'s replicas`
        : `a fair share onto broker ${broker}`,
    );
  });
}

async function execute(
  admin: Admin,
  plan: PlacedPartition[],
  o: { json?: boolean; 'no-wait'?: boolean; 'timeout-ms'?: string },
  what: string,
): Promise<number> {
  const timeoutMs = integerOption(o['timeout-ms'], '--timeout-ms', 600_000, { min: 1 });
  const started = Date.now();
  await admin.alterPartitionReassignments({ reassignments: plan });
  if (o['no-wait']) {
    if (o.json) printJson({ started: plan.length, partitions: plan });
    else
      print(
        `Started moving ${plural(plan.length, 'partition')} (${what}); follow with 'samsa cluster reassign --list'.`,
      );
    return 0;
  }
  await waitForMoves(admin, plan, started, timeoutMs);
  const elected = await electPreferred(admin, plan);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const after = await describe(admin, plan);
  const differs = after.filter((p, i) => p.replicas.join() !== plan[i]!.replicas.join());
  if (o.json) printJson({ partitions: after, leadersElected: elected, seconds });
  else {
    print(`Moved ${plural(plan.length, 'partition')} (${what}) in ${seconds} s.`);
    print(
      table(
        ['TOPIC', 'PARTITION', 'LEADER', 'REPLICAS', 'ISR'],
        after.map((p) => [p.topic, p.partition, p.leader, p.replicas.join(','), p.isr.join(',')]),
      ),
    );
  }
  if (differs.length > 0) {
    throw new CliError(
      `${plural(differs.length, 'partition')} ended on other replicas than planned (moved again meanwhile?): ${differs.map(tp).join(', ')}`,
    );
  }
  return 0;
}

async function describe(admin: Admin, plan: readonly PlacedPartition[]) {
  const topics = await admin.describeTopics({ topics: [...new Set(plan.map((p) => p.topic))] });
  return plan.map((p) => {
    const info = topics.find((t) => t.name === p.topic)?.partitions[p.partition];
    return {
      topic: p.topic,
      partition: p.partition,
      leader: info?.leader ?? -1,
      replicas: info?.replicas ?? [],
      isr: info?.isr ?? [],
    };
  });
}

/** Polls the moves of the plan until none is under way, with a progress line on stderr. */
async function waitForMoves(
  admin: Admin,
  plan: readonly PlacedPartition[],
  started: number,
  timeoutMs: number,
): Promise<void> {
  const tty = Boolean(process.stderr.isTTY);
  let last = '';
  for (;;) {
    const ongoing = await admin
      .listPartitionReassignments({ partitions: plan.map((p) => ({ ...p })) })
      .catch(() => undefined);
    if (ongoing) {
      const adding = [...new Set(ongoing.flatMap((r) => r.addingReplicas))].sort((a, b) => a - b);
      const secs = Math.round((Date.now() - started) / 1000);
      const line =
        `Moving ${plural(plan.length, 'partition')}: ${plan.length - ongoing.length} done, ` +
        `${ongoing.length} in progress${adding.length > 0 ? ` (brokers ${adding.join(',')} catching up)` : ''}`;
      if (tty) process.stderr.write(`\r${line} ${secs} s\x1b[K`);
      else if (line !== last) note(line);
      last = line;
      if (ongoing.length === 0) {
        if (tty) process.stderr.write('\n');
        return;
      }
    }
    if (Date.now() - started > timeoutMs) {
      if (tty) process.stderr.write('\n');
      throw new CliError(
        `the moves are still under way after ${timeoutMs} ms; they go on in the background (see 'samsa cluster reassign --list')`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Each moved partition's first replica leads (its preferred leader), if it does not already; a
 * replica that has only just caught up may need a moment, so a few tries. Returns how many moved.
 */
async function electPreferred(admin: Admin, plan: readonly PlacedPartition[]): Promise<number> {
  let elected = 0;
  let pending = plan.map((p) => ({ topic: p.topic, partition: p.partition }));
  for (let attempt = 0; attempt < 10 && pending.length > 0; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 500));
    const results = await admin.electLeaders({ type: 'preferred', partitions: pending });
    elected += results.filter((r) => r.error === 'NONE').length;
    pending = results
      .filter((r) => r.error !== 'NONE' && r.error !== 'ELECTION_NOT_NEEDED')
      .map((r) => ({ topic: r.topic, partition: r.partition }));
  }
  if (pending.length > 0) {
    note(
      `note: ${plural(pending.length, 'partition')} still led by another replica than the first (${pending.map(tp).join(', ')})`,
    );
  }
  return elected;
}

async function verify(admin: Admin, plan: PlacedPartition[], json: boolean): Promise<number> {
  const ongoing = await admin.listPartitionReassignments({ partitions: plan });
  const moving = new Set(ongoing.map(tp));
  const now = await describe(admin, plan);
  const rows = plan.map((p, i) => {
    const status = moving.has(tp(p))
      ? 'in progress'
      : now[i]!.replicas.join() === p.replicas.join()
        ? 'done'
        : 'not as planned';
    return {
      topic: p.topic,
      partition: p.partition,
      status,
      replicas: now[i]!.replicas,
      planned: p.replicas,
    };
  });
  if (json) printJson(rows);
  else {
    const s = style();
    print(
      table(
        ['TOPIC', 'PARTITION', 'STATUS', 'REPLICAS', 'PLANNED'],
        rows.map((r) => [
          r.topic,
          r.partition,
          r.status === 'done'
            ? s.green(r.status)
            : r.status === 'in progress'
              ? s.yellow(r.status)
              : s.red(r.status),
          r.replicas.join(','),
          r.planned.join(','),
        ]),
        s,
      ),
    );
  }
  const bad = rows.filter((r) => r.status === 'not as planned').length;
  if (bad > 0)
    throw new CliError(`${plural(bad, 'partition')} not on the planned replicas and not moving`);
  return 0;
}

async function list(admin: Admin, json: boolean): Promise<number> {
  const ongoing = await admin.listPartitionReassignments();
  if (json) printJson(ongoing);
  else if (ongoing.length === 0) note('No partitions are being moved.');
  else
    print(
      table(
        ['TOPIC', 'PARTITION', 'REPLICAS', 'ADDING', 'REMOVING'],
        ongoing.map((r) => [
          r.topic,
          r.partition,
          r.replicas.join(','),
          r.addingReplicas.join(','),
          r.removingReplicas.join(','),
        ]),
      ),
    );
  return 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
