// `samsa cluster info|reassign|decommission|add-broker`: cluster id, controller, brokers, and how
// many topics and partitions; moving partitions between brokers lives in reassign-command.ts.
import { CLIENT_OPTIONS, COMMON_HELP, expectPositionals, parseArgs } from './args.js';
import { UsageError } from './cli-error.js';
import { withAdmin } from './client.js';
import { print, printJson, style, table } from './output.js';
import { REASSIGN_HELP, runAddBroker, runDecommission, runReassign } from './reassign-command.js';

const HELP = `Usage: samsa cluster <subcommand> [options]

Subcommands:
  info                                  Cluster id, controller, every broker (id, host, port, rack),
                                        and the number of topics and partitions (internal included)
${REASSIGN_HELP}

${COMMON_HELP}`;

export async function runCluster(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '-h' || sub === '--help') {
    print(HELP);
    return 0;
  }
  if (sub === 'reassign') return runReassign(rest, HELP);
  if (sub === 'decommission') return runDecommission(rest, HELP);
  if (sub === 'add-broker') return runAddBroker(rest, HELP);
  if (sub !== 'info') {
    throw new UsageError(`unknown subcommand 'cluster ${sub}' (see 'samsa cluster --help')`);
  }
  const { options: o, positionals } = parseArgs(rest, CLIENT_OPTIONS, 'samsa cluster info');
  if (o.help) {
    print(HELP);
    return 0;
  }
  expectPositionals(positionals, [], 'samsa cluster info');
  return withAdmin(o, async (admin) => {
    const cluster = await admin.describeCluster();
    const names = await admin.listTopics({ includeInternal: true });
    const topics = names.length > 0 ? await admin.describeTopics({ topics: names }) : [];
    const partitions = topics.reduce((n, t) => n + t.partitions.length, 0);
    const brokers = [...cluster.brokers].sort((a, b) => a.nodeId - b.nodeId);
    if (o.json) {
      printJson({
        clusterId: cluster.clusterId,
        controllerId: cluster.controllerId,
        brokers,
        topics: topics.length,
        partitions,
      });
      return 0;
    }
    const s = style();
    print(
      `${s.bold('Cluster:')} ${cluster.clusterId ?? '-'}  ${s.bold('Controller:')} ${cluster.controllerId}  ` +
        `${s.bold('Topics:')} ${topics.length}  ${s.bold('Partitions:')} ${partitions}`,
    );
    print(
      table(
        ['BROKER', 'HOST', 'PORT', 'RACK', 'ROLE'],
        brokers.map((b) => [
          b.nodeId,
          b.host,
          b.port,
          b.rack,
          b.nodeId === cluster.controllerId ? s.cyan('controller') : '',
        ]),
        s,
      ),
    );
    return 0;
  });
}
