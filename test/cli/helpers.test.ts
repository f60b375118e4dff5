// The CLI's pure pieces, in process: argument parsing, tables and colour, the consume template,
// the latency histogram.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, parseInteger, parseTimestamp } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/cli-error.js';
import { template } from '../../src/cli/consume-command.js';
import { colourEnabled, style, table } from '../../src/cli/output.js';
import { LatencyHistogram } from '../../src/cli/perf-stats.js';

const spec = {
  throughput: { type: 'string' },
  header: { type: 'list', short: 'H' },
  json: { type: 'boolean' },
  num: { type: 'string', short: 'n' },
} as const;

test('parseArgs: negative values, repeats, inline values, short options, --', () => {
  const { options, positionals } = parseArgs(
    [
      't1',
      '--throughput',
      '-1',
      '-H',
      'a=1',
      '--header=b=2',
      '-n5',
      '--json',
      '--',
      '--not-an-option',
    ],
    spec,
    'samsa x',
  );
  assert.deepEqual(options, { throughput: '-1', header: ['a=1', 'b=2'], num: '5', json: true });
  assert.deepEqual(positionals, ['t1', '--not-an-option']);
  assert.throws(() => parseArgs(['--nope'], spec, 'samsa x'), UsageError);
  assert.throws(() => parseArgs(['--num'], spec, 'samsa x'), /--num needs a value/);
  assert.throws(() => parseArgs(['-n', '1', '-n', '2'], spec, 'samsa x'), /given twice/);
});

test('parseInteger and parseTimestamp name the flag', () => {
  assert.equal(parseInteger('-10', '--shift-by'), -10);
  assert.throws(() => parseInteger('1.5', '--n'), /--n expects a whole number, got '1.5'/);
  assert.throws(() => parseInteger('9007199254740993', '--n'), /whole number/);
  assert.throws(() => parseInteger('3', '--n', { max: 2 }), /at most 2/);
  assert.equal(parseTimestamp('1700000000000', '--t'), 1_700_000_000_000);
  assert.equal(parseTimestamp('2026-11-25T10:00:00Z', '--t'), Date.UTC(2026, 10, 25, 10));
  assert.throws(() => parseTimestamp('soon', '--t'), /--t expects/);
});

test('table: aligned columns, numbers right, empty cells as -', () => {
  const plain = style(false);
  const out = table(
    ['TOPIC', 'PARTITIONS', 'RACK'],
    [
      ['orders', 12, null],
      ['a', 3, null],
    ],
    plain,
  );
  assert.equal(out, 'TOPIC   PARTITIONS  RACK\norders          12  -\na                3  -\n');
  // Colour codes do not count towards widths.
  const coloured = table(['STATE', 'N'], [[style(true).green('Stable'), 1]], style(true));
  assert.ok(coloured.endsWith('\x1b[32mStable\x1b[39m  1\n'), JSON.stringify(coloured));
});

test('colour only on a terminal, and never with NO_COLOR', () => {
  const saved = process.env.NO_COLOR;
  try {
    delete process.env.NO_COLOR;
    assert.equal(colourEnabled({ isTTY: true }), true);
    assert.equal(colourEnabled({ isTTY: false }), false);
    process.env.NO_COLOR = '1';
    assert.equal(colourEnabled({ isTTY: true }), false);
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
});

test('consume template: fields, escapes, nulls, headers, encodings', () => {
  const m = {
    topic: 't',
    partition: 2,
    offset: 7,
    timestamp: 0,
    timestampType: 'CreateTime' as const,
    key: null,
    value: Buffer.from('hi'),
    headers: [{ key: 'h', value: Buffer.from('v') }],
    leaderEpoch: 0,
  };
  assert.equal(
    template('{topic}/{partition}@{offset}\\t{key}={value} [{headers}] {time}', 'utf8')(m),
    't/2@7\tnull=hi [h=v] 1970-01-01T00:00:00.000Z\n',
  );
  assert.equal(template('{value}', 'hex')(m), '6869\n');
  assert.throws(() => template('{bogus}', 'utf8'), /unknown placeholder \{bogus\}/);
});

test('LatencyHistogram: percentiles within 1 %, whatever the count', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 10_000; i++) h.record(i / 10); // 0.1 .. 1000 ms
  const s = h.summary();
  const near = (got: number, want: number) =>
    assert.ok(Math.abs(got - want) / want < 0.011, `${got} vs ${want}`);
  near(s.p50, 500);
  near(s.p95, 950);
  near(s.p99, 990);
  near(s.p999, 999);
  assert.equal(s.max, 1000);
  near(s.avg, 500.05);
  const batch = new LatencyHistogram();
  batch.record(4, 100);
  batch.record(40, 1);
  near(batch.percentile(0.99), 4);
  near(batch.percentile(1), 40);
});
