// What a Fetch's bytes cost on their way from the page cache to a socket, Samsa's way (readSync
// into memory, then writev) against Kafka's (sendfile), with no broker around them.
//
//   node --import tsx bench/copy-path-bench.ts [--mib 256] [--passes 5]
//
// Samsa reads segment bytes into (pooled) memory with readSync and writes them with one corked
// writev; Kafka hands the file to the socket with sendfile, which Node cannot do for a socket.
// Each case is a sender process that pushes 4 GiB from one file in the page cache to a sink
// process over loopback, one "Fetch" at a time (the next starts once the kernel has taken the
// last), and reports its own CPU time (user + system):
//   read+writev 8 x 1 MiB   Samsa's Fetch of 8 partitions today
//   read+write each 1 MiB   a Fetch that writes each partition as soon as it is read
//   read+writev 1 x 1 MiB   Samsa's Fetch of 1 partition
//   writev, no read         the socket write alone (what keeping recent batches in memory leaves)
//   sendfile 8 MiB          Kafka's path (Python's os.sendfile, /usr/bin/python3)
// Cases alternate within each pass; the table shows medians and each case against sendfile.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const MiB = 1024 * 1024;
const TOTAL = 4 * 1024 * MiB;
const PYTHON = '/usr/bin/python3';

interface Case {
  label: string;
  mode: 'writev' | 'each' | 'noread' | 'sendfile';
  perFetch: number;
}

const CASES: Case[] = [
  { label: 'read+writev 8 x 1 MiB (Samsa, 8 partitions)', mode: 'writev', perFetch: 8 },
  { label: 'read+write each 1 MiB (streamed Fetch)', mode: 'each', perFetch: 8 },
  { label: 'read+writev 1 x 1 MiB (Samsa, 1 partition)', mode: 'writev', perFetch: 1 },
  { label: 'writev 8 x 1 MiB, no read (bytes already in memory)', mode: 'noread', perFetch: 8 },
  { label: 'sendfile 8 MiB (Kafka)', mode: 'sendfile', perFetch: 8 },
];

interface Sample {
  cpuMsPerGiB: number;
  mbPerSec: number;
}

/** The sender side, run as its own process so its CPU time is only its own. */
async function sender(file: string, port: number, mode: string, perFetch: number): Promise<void> {
  const fd = fs.openSync(file, 'r');
  const fileSize = fs.fstatSync(fd).size;
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.setNoDelay(true);
  const free: Buffer[] = [];
  const flushed = () =>
    new Promise<void>((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
  let position = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let sent = 0; sent < TOTAL; sent += perFetch * MiB) {
    const held: Buffer[] = [];
    if (mode !== 'each') socket.cork();
    for (let i = 0; i < perFetch; i++) {
      const buf = free.pop() ?? Buffer.allocUnsafeSlow(MiB);
      if (mode !== 'noread' || sent === 0) fs.readSync(fd, buf, 0, MiB, position);
      position = (position + MiB) % fileSize;
      held.push(buf);
      if (mode === 'each') socket.write(buf);
    }
    if (mode !== 'each') {
      for (const b of held) socket.write(b);
      socket.uncork();
    }
    await flushed();
    free.push(...held);
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  socket.end();
  const sample: Sample = {
    cpuMsPerGiB: (used.user + used.system) / 1000 / (TOTAL / (1024 * MiB)),
    mbPerSec: TOTAL / seconds / 1e6,
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

const SENDFILE_SENDER = `
import os, resource, socket, sys, time, json
path, port, per_fetch, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fd = os.open(path, os.O_RDONLY); size = os.fstat(fd).st_size
s = socket.create_connection(('127.0.0.1', port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.time(); sent = 0; pos = 0
while sent < total:
    left = per_fetch
    while left > 0:
        n = os.sendfile(s.fileno(), fd, pos, min(left, size - pos))
        left -= n; sent += n; pos = (pos + n) % size
r1 = resource.getrusage(resource.RUSAGE_SELF); secs = time.time() - t0
cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
print(json.dumps({'cpuMsPerGiB': cpu * 1000 / (total / 2**30), 'mbPerSec': total / secs / 1e6}))
s.close()
`;

/** A process that reads and drops everything; prints its port. */
const SINK = `
const net = require('node:net');
const server = net.createServer((s) => { s.on('data', () => {}); s.on('error', () => {}); });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

function runProcess(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}`)),
    );
  });
}

async function measure(c: Case, file: string, port: number): Promise<Sample> {
  const out =
    c.mode === 'sendfile'
      ? await runProcess(PYTHON, [
          '-c',
          SENDFILE_SENDER,
          file,
          String(port),
          String(c.perFetch * MiB),
          String(TOTAL),
        ])
      : await runProcess(process.execPath, [
          '--import',
          'tsx',
          new URL(import.meta.url).pathname,
          '--sender',
          file,
          String(port),
          c.mode,
          String(c.perFetch),
        ]);
  return JSON.parse(out.trim().split('\n').pop()!) as Sample;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const mib = arg('--mib', 256);
  const passes = arg('--passes', 5);
  const cases = fs.existsSync(PYTHON) ? CASES : CASES.filter((c) => c.mode !== 'sendfile');
  if (cases.length < CASES.length) console.log(`${PYTHON} is missing: no sendfile case`);
  const dir = fs.mkdtempSync(join(tmpdir(), 'samsa-copy-path-'));
  const file = join(dir, 'segment');
  const sink = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    // Random bytes, read once so the file is in the page cache, as a consumer that keeps up finds it.
    const chunk = Buffer.alloc(MiB);
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < mib; i++) {
      chunk.fill(i & 0xff);
      fs.writeSync(fd, chunk);
    }
    fs.closeSync(fd);
    fs.readFileSync(file);
    const port = Number(
      await new Promise<string>((resolve) =>
        sink.stdout.once('data', (d: Buffer) => resolve(d.toString())),
      ),
    );
    const samples = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
    for (let pass = 0; pass < passes; pass++) {
      const order = pass % 2 === 0 ? cases : [...cases].reverse();
      for (const c of order) samples.get(c)!.push(await measure(c, file, port));
    }
    const base = samples.get(cases.find((c) => c.mode === 'sendfile') ?? cases[0]!)!;
    const baseCpu = median(base.map((s) => s.cpuMsPerGiB));
    console.log(
      `# copy-path-bench: ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}`,
    );
    console.log(`# ${passes} passes of 4 GiB per case from a ${mib} MiB file in the page cache`);
    console.log('| case | sender CPU ms/GiB (median) | every pass | x sendfile | MB/s (median) |');
    console.log('|---|---:|---|---:|---:|');
    for (const c of cases) {
      const s = samples.get(c)!;
      const cpu = median(s.map((x) => x.cpuMsPerGiB));
      console.log(
        `| ${c.label} | ${cpu.toFixed(0)} | ${s.map((x) => x.cpuMsPerGiB.toFixed(0)).join(', ')} | ${(cpu / baseCpu).toFixed(2)}x | ${median(s.map((x) => x.mbPerSec)).toFixed(0)} |`,
      );
    }
  } finally {
    sink.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--sender') {
  const [file, port, mode, perFetch] = process.argv.slice(3);
  await sender(file!, Number(port), mode!, Number(perFetch));
} else {
  await main();
}
