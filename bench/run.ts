// Samsa against Apache Kafka on this machine, in one run: `npm run bench` (see --help).
//
// Starts Kafka (KRaft, one combined node, jars from Maven Central cached in ~/.cache/samsa)
// and Samsa (`node dist/cli/main.js broker`, the compiled build users run: tsx would add its
// loader to start-up time and memory) with the same settings, drives both with the same load
// generators (bench/lib/generators.ts), profiles Samsa, and writes
// bench/results/<date>-vs-kafka.md with charts, raw figures and the command lines.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import {
  type BrokerKind,
  type BrokerUnderTest,
  KafkaBroker,
  NullBroker,
  SamsaBroker,
  SHARED_SETTINGS,
} from './lib/brokers.js';
import * as env from './lib/env.js';
import { kafkaPerf, kcat, type LoadGenerator, nodeClient, samsaPerf } from './lib/generators.js';
import { makePlan, parseOptions, USAGE } from './lib/options.js';
import { freePort, readMemory, sleep } from './lib/proc.js';
import { monotonicUs, summarizeProfile } from './lib/profile.js';
import { renderReport } from './lib/report.js';
import { type Brokers, Runner, topicName } from './lib/runner.js';
import { type BenchResults, emptyResults, type Workload, workloadLabel } from './lib/types.js';

const repo = resolve(import.meta.dirname, '..');
const t0 = Date.now();
const log = (msg: string) => {
  const s = Math.round((Date.now() - t0) / 1000);
  process.stderr.write(
    `[bench ${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${msg}\n`,
  );
};

function writeReport(results: BenchResults, outDir: string, name: string): string {
  const assetsDir = join(outDir, name);
  mkdirSync(assetsDir, { recursive: true });
  const mdPath = join(outDir, `${name}.md`);
  const previous = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : undefined;
  const { markdown, charts } = renderReport(results, name, previous);
  for (const [file, svg] of charts) writeFileSync(join(assetsDir, file), svg);
  writeFileSync(join(assetsDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(mdPath, markdown);
  return mdPath;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const outDir = resolve(repo, opts.outDir);
  if (opts.reportOnly) {
    const results = JSON.parse(readFileSync(opts.reportOnly, 'utf8')) as BenchResults;
    const name =
      opts.name ??
      `${results.startedAt.slice(0, 10)}-vs-kafka${results.mode === 'quick' ? '-quick' : ''}`;
    log(`report: ${writeReport(results, outDir, name)}`);
    return 0;
  }
  const plan = makePlan(opts.quick);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const results = emptyResults(opts.quick ? 'quick' : 'full', command);
  const name =
    opts.name ?? `${results.startedAt.slice(0, 10)}-vs-kafka${opts.quick ? '-quick' : ''}`;
  const assetsDir = join(outDir, name);
  mkdirSync(assetsDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'samsa-bench-'));
  results.machine = { ...env.machineInfo(work), loadBefore: env.loadAverage() };

  // ---- software ------------------------------------------------------------------------------
  const java = process.env.JAVA ?? 'java';
  if (opts.samsa === 'dist' && opts.build) {
    log('npm run build (Samsa runs compiled)');
    try {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: repo, stdio: 'inherit' });
    } catch {
      // tsc still emits on type errors (others' work in progress); run what was emitted.
      if (!existsSync(join(repo, 'dist/cli/main.js'))) throw new Error('npm run build failed');
      results.problems.push(
        'npm run build reported errors; the benchmark ran the JavaScript tsc emitted anyway',
      );
    }
  }
  log(`Kafka ${opts.kafkaVersion} jars (tools/capture/kafka-broker.sh fetch)`);
  const libs = env.kafkaLibs(repo, opts.kafkaVersion);
  const cliEntry =
    opts.samsa === 'dist' ? join(repo, 'dist/cli/main.js') : join(repo, 'src/cli/main.ts');
  const kcatV = env.kcatVersion();
  const py = env.pythonWithConfluent();
  const plat = env.ensurePlatformatic();
  if (plat.problem) results.problems.push(plat.problem);
  results.versions = {
    kafka: opts.kafkaVersion,
    samsa: env.repoVersion(repo),
    node: process.version,
    java: env.javaVersion(java) ?? '?',
    kcat: kcatV ?? 'not installed',
    'confluent-kafka': py?.version ?? 'not installed',
    kafkajs: env.packageVersion(repo, 'kafkajs') ?? 'not installed',
    '@platformatic/kafka': plat.version ?? 'not installed',
  };
  results.settings = { ...SHARED_SETTINGS };
  results.notes.push(
    `Samsa ran as \`node ${relative(repo, cliEntry)} broker\` (${opts.samsa === 'dist' ? 'compiled with tsc, as users run it' : 'from source through tsx'}); Kafka with the JVM flags of its stock start script (-Xmx1G -Xms1G, G1).`,
    'Both brokers were up for the whole run (the idle one costs little CPU); each workload ran against one broker at a time, alternating which went first.',
    'Producers: linger.ms=5, batch.size=65536 for the Java and librdkafka tools; the Node clients send 100 records per send() call with 8 calls in flight. Payloads: random A-Z text. ProducerPerformance draws each record from a file of 8 MB of distinct payloads (--payload-file) and kcat sends the same pool in order, so the generators spend their CPU on producing rather than on drawing 1 random number per byte (ProducerPerformance --record-size does that, which took 75 % of its main thread in a JFR profile here).',
    "CPU columns: seconds of CPU (user + system, every thread) per GB of payload, for the broker process (/proc/<pid>/stat) and for the load generator (the runner's reaped children). On 2 shared cores a broker that needs less CPU leaves more to the generator.",
  );
  if (opts.ceiling)
    results.notes.push(
      'Ceiling: every produce workload also ran against a null broker (bench/lib/null-broker.ts, a Node process that answers Produce with offsets from the batch headers and stores nothing), driven the same way. No broker can go much faster than that under the same generator on the same machine, so ceiling ÷ Kafka is the most any broker could be ahead of Kafka there.',
    );

  // ---- generators ------------------------------------------------------------------------------
  const javaPerf = kafkaPerf({ java, libs });
  const samsaModule =
    opts.samsa === 'dist' ? join(repo, 'dist/client/index.js') : join(repo, 'src/client/index.ts');
  const setup = { repoDir: repo, samsaModule, platformaticDir: plat.dir };
  const generators: LoadGenerator[] = [
    javaPerf,
    kcat(kcatV),
    nodeClient('samsa', setup, `Samsa client (${relative(repo, samsaModule)})`),
    nodeClient('kafkajs', setup, `KafkaJS ${results.versions.kafkajs}`),
    nodeClient(
      'platformatic',
      setup,
      `@platformatic/kafka ${plat.version ?? ''}`,
      plat.dir ? undefined : plat.problem,
    ),
  ];
  if (env.cliHasPerf(repo, cliEntry)) generators.push(samsaPerf(cliEntry, repo));
  else
    results.notes.push(
      '`samsa perf` is not in the CLI yet; the Samsa client runs through bench/lib/node-client-perf.ts (the hook for `samsa perf` is in bench/lib/generators.ts).',
    );
  for (const g of generators)
    if (g.unavailable) results.problems.push(`${g.name} skipped: ${g.unavailable}`);

  // ---- brokers -------------------------------------------------------------------------------
  const brokers: Brokers = {
    kafka: new KafkaBroker(
      await freePort(),
      await freePort(),
      join(work, 'kafka-data'),
      libs,
      java,
    ),
    samsa: new SamsaBroker(await freePort(), join(work, 'samsa-data'), {
      script: cliEntry,
      tsx: opts.samsa === 'tsx',
      cwd: repo,
    }),
  };
  if (opts.ceiling) {
    // It keeps the topics the consume phase reads back (in memory, about 1 GB in the full plan).
    const retain = plan.consume.map((w) => topicName('perf', w));
    brokers.null = new NullBroker(await freePort(), repo, retain);
  }
  const runner = new Runner({
    results,
    plan,
    brokers,
    tmpDir: work,
    repoDir: repo,
    java: javaPerf,
    generators,
    python: py?.python,
    log,
  });
  const ready: Record<BrokerKind, number[]> = { kafka: [], samsa: [], null: [] };
  try {
    for (const kind of ['kafka', 'samsa'] as const) {
      const b = brokers[kind];
      const ms = await b.start({ fresh: true });
      ready[kind].push(ms);
      results.brokerCommands[kind] = b.commandLine;
      log(`${kind} ready in ${Math.round(ms)} ms (pid ${b.pid()}, port ${b.port})`);
      await sleep(plan.idleSettleMs);
      const idle = readMemory(b.pid()!);
      results.memory.push({
        broker: kind,
        idleRss: idle?.rss ?? 0,
        idleHwm: idle?.hwm ?? 0,
        loadMaxRss: 0,
        loadHwm: 0,
      });
      log(`${kind} idle RSS ${((idle?.rss ?? 0) / 2 ** 20).toFixed(0)} MiB`);
    }
    if (brokers.null) {
      await brokers.null.start({ fresh: true });
      results.brokerCommands.null = brokers.null.commandLine;
      log(`null broker ready (pid ${brokers.null.pid()}, port ${brokers.null.port})`);
    }
    await runner.warmUp();
    if (opts.phases.has('produce')) await runner.producePhase();
    if (opts.phases.has('consume')) await runner.consumePhase();
    if (opts.phases.has('clients')) await runner.clientsPhase();
    if (opts.phases.has('latency')) await runner.latencyPhase();
    for (const m of results.memory) {
      const p = runner.peakMemory(m.broker);
      m.loadMaxRss = p.max;
      m.loadHwm = p.hwm;
    }
    if (opts.phases.has('recovery')) await runner.recoveryPhase();
    await brokers.kafka.stop();
    await brokers.samsa.stop();
    await brokers.null?.stop();
    if (opts.phases.has('startup'))
      await startupRuns(plan.startupRuns, ready, libs, java, work, cliEntry, opts.samsa === 'tsx');
    results.startup = (['kafka', 'samsa'] as const).map((b) => ({ broker: b, readyMs: ready[b] }));
    if (opts.phases.has('profile'))
      await profiles(runner, cliEntry, opts.samsa === 'tsx', work, assetsDir, plan.profileRecords);
  } finally {
    await brokers.kafka.kill();
    await brokers.samsa.kill();
    await brokers.null?.kill();
    results.finishedAt = new Date().toISOString();
    results.machine.loadAfter = env.loadAverage();
    const md = writeReport(results, outDir, name);
    log(`report: ${relative(process.cwd(), md)}`);
    rmSync(work, { recursive: true, force: true });
  }
  return 0;
}

/** Extra cold starts on empty data dirs, one broker at a time. */
async function startupRuns(
  runs: { samsa: number; kafka: number },
  ready: Record<BrokerKind, number[]>,
  libs: string,
  java: string,
  work: string,
  cliEntry: string,
  tsx: boolean,
): Promise<void> {
  for (const kind of ['kafka', 'samsa'] as const) {
    while (ready[kind].length < runs[kind]) {
      const i = ready[kind].length;
      const dir = join(work, `startup-${kind}-${i}`);
      const b: BrokerUnderTest =
        kind === 'kafka'
          ? new KafkaBroker(await freePort(), await freePort(), dir, libs, java)
          : new SamsaBroker(await freePort(), dir, { script: cliEntry, tsx, cwd: repo });
      try {
        const ms = await b.start({ fresh: true });
        ready[kind].push(ms);
        log(`${kind} start ${i + 1}: ready in ${Math.round(ms)} ms`);
      } finally {
        await b.stop();
        rmSync(dir, { recursive: true, force: true });
        rmSync(`${dir}-run`, { recursive: true, force: true });
      }
    }
  }
}

/** --cpu-prof of a Samsa broker under one produce and one consume workload. */
async function profiles(
  runner: Runner,
  cliEntry: string,
  tsx: boolean,
  work: string,
  assetsDir: string,
  records: number,
): Promise<void> {
  const w: Workload = { size: 1024, acks: '1', partitions: 1, compression: 'none' };
  const topic = topicName('profile', w);
  const b = new SamsaBroker(await freePort(), join(work, 'profile-data'), {
    script: cliEntry,
    tsx,
    cwd: repo,
  });
  const saved = runner.swapBroker('samsa', b);
  try {
    for (const phase of ['produce', 'consume'] as const) {
      const file = `samsa-${phase}.cpuprofile`;
      await b.start({
        fresh: phase === 'produce',
        nodeArgs: ['--cpu-prof', '--cpu-prof-dir', assetsDir, '--cpu-prof-name', file],
      });
      if (phase === 'produce') await runner.createTopic('samsa', topic, w.partitions);
      const fromUs = monotonicUs();
      const row = await runner.measure(phase, runner.java, 'samsa', w, topic, records, false);
      const toUs = monotonicUs();
      runner.results.throughput.pop(); // profiled runs are slower; they are not results
      await b.stop();
      if (row.error || !existsSync(join(assetsDir, file))) {
        runner.problem(`profile of ${phase} not written${row.error ? `: ${row.error}` : ''}`);
        continue;
      }
      // Only the workload's window counts: the broker's start-up and its closing fsync are
      // outside it (the tool's JVM start inside it shows as idle, which is left out too).
      const s = summarizeProfile(join(assetsDir, file), { fromUs, toUs });
      runner.results.profiles.push({
        phase,
        file,
        workload: `${workloadLabel(w)}, ${records} records, Kafka's ${phase === 'produce' ? 'ProducerPerformance' : 'ConsumerPerformance'}`,
        ...s,
      });
      log(
        `profile ${phase}: top ${s.top
          .slice(0, 3)
          .map((e) => `${e.name} ${e.pct.toFixed(0)}%`)
          .join(', ')}`,
      );
    }
  } finally {
    await b.kill();
    runner.swapBroker('samsa', saved);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
