// Java kafka-clients consumer groups against a Samsa broker process, with
// group.protocol=classic and group.protocol=consumer (KIP-848), for kafka-clients 3.9 and 4.1:
// two members share six partitions, consume and commit, one leaves, and a new member resumes
// from the committed offsets. java/GroupsCompat.java is compiled at test time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CACHE,
  COMPAT_DIR,
  type CompatBroker,
  compatSuite,
  type ExternalBroker,
  findJavaClients,
  jsonLines,
  killClients,
  run,
  startCompatBroker,
  topicName,
} from '../support.js';

const VERSIONS = (process.env.SAMSA_JAVA_CLIENT_VERSIONS ?? '3.9.1 4.1.2').split(/\s+/);

/** Compiles java/*.java of this folder once per sources' hash and client version. */
function compile(libs: string, version: string): string {
  const dir = join(COMPAT_DIR, 'groups', 'java');
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.java'))
    .map((f) => join(dir, f));
  const hash = createHash('sha256');
  for (const s of sources) hash.update(readFileSync(s));
  const classes = join(CACHE, `compat-groups-java-${version}`, hash.digest('hex').slice(0, 16));
  if (!existsSync(join(classes, '.complete'))) {
    rmSync(classes, { recursive: true, force: true });
    mkdirSync(classes, { recursive: true });
    const r = spawnSync('javac', ['-nowarn', '-d', classes, '-cp', `${libs}/*`, ...sources], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`javac failed:\n${r.stderr}`);
    mkdirSync(join(classes, '.complete'));
  }
  return `${classes}:${libs}/*`;
}

interface Step {
  step: string;
  ok?: boolean;
  a?: number[];
  b?: number[];
  count?: number;
  committed?: string;
  positions?: string;
  reconsumed?: number;
  errors?: string;
}

for (const version of VERSIONS) {
  const clients = findJavaClients(version);
  compatSuite(`consumer groups: Java kafka-clients ${version}`, [clients], () => {
    let broker: CompatBroker | ExternalBroker;
    before(async () => {
      broker = await startCompatBroker();
    });
    after(async () => {
      killClients();
      await broker?.stop();
    });

    for (const protocol of ['classic', 'consumer']) {
      test(`group.protocol=${protocol}`, async () => {
        if (!clients.ok) throw new Error(clients.why);
        const topic = topicName(`java-${protocol}`);
        const { stdout } = await run(
          'java',
          [
            '-Xmx256m',
            '-XX:TieredStopAtLevel=1',
            '-XX:+UseSerialGC',
            '-Dorg.slf4j.simpleLogger.defaultLogLevel=error',
            '-cp',
            compile(clients.path, version),
            'GroupsCompat',
            broker.bootstrap,
            topic,
            `${topic}-group`,
            protocol,
          ],
          { timeoutMs: 180_000 },
        );
        const steps = new Map(jsonLines<Step>(stdout).map((s) => [s.step, s]));
        assert.equal(steps.get('timeout'), undefined, stdout);
        assert.deepEqual(steps.get('alone')?.a, [0, 1, 2, 3, 4, 5]);
        const shared = steps.get('shared')!;
        assert.equal(shared.ok, true);
        assert.deepEqual(
          [...shared.a!, ...shared.b!].sort(),
          [0, 1, 2, 3, 4, 5],
          'disjoint and complete',
        );
        assert.equal(steps.get('consumed')?.count, 60);
        assert.deepEqual(steps.get('b_left')?.a, [0, 1, 2, 3, 4, 5]);
        const every10 = '{0=10, 1=10, 2=10, 3=10, 4=10, 5=10}';
        assert.equal(steps.get('a_closed')?.committed, every10);
        const resumed = steps.get('resumed')!;
        assert.equal(resumed.positions, every10, 'a new member starts at the committed offsets');
        assert.equal(resumed.reconsumed, 0);
        assert.equal(steps.get('done')?.errors, '');
      });
    }
  });
}
