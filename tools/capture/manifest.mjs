// Write manifest.json for the golden folders: per scenario folder, the client, broker,
// scenario, frame count and the apiKey:apiVersion pairs seen (requests).
// Usage: node tools/capture/manifest.mjs [GOLDEN_ROOT]   (also prints a per-client summary)
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(
  process.argv[2] || new URL('../../test/fixtures/golden', import.meta.url).pathname,
);
const entries = [];
const perClient = new Map();
for (const clientDir of fs.readdirSync(root).sort()) {
  const cdir = path.join(root, clientDir);
  if (!fs.statSync(cdir).isDirectory()) continue;
  for (const scenario of fs.readdirSync(cdir).sort()) {
    const sdir = path.join(cdir, scenario);
    if (!fs.existsSync(path.join(sdir, 'index.jsonl'))) continue;
    const meta = JSON.parse(fs.readFileSync(path.join(sdir, 'capture.json'), 'utf8'));
    const lines = fs
      .readFileSync(path.join(sdir, 'index.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const pairs = [
      ...new Set(lines.filter((l) => l.dir === 'req').map((l) => `${l.apiKey}:${l.apiVersion}`)),
    ].sort((a, b) => {
      const [ak, av] = a.split(':').map(Number),
        [bk, bv] = b.split(':').map(Number);
      return ak - bk || av - bv;
    });
    const bytes = lines.reduce((s, l) => s + l.size, 0);
    entries.push({
      folder: `${clientDir}/${scenario}`,
      client: meta.client,
      clientVersion: meta.clientVersion,
      brokerVersion: meta.brokerVersion,
      scenario,
      date: meta.date,
      clientExitCode: meta.clientExitCode,
      frames: lines.length,
      bytes,
      requestApiVersions: pairs,
    });
    const key = `${clientDir}`;
    if (!perClient.has(key)) perClient.set(key, new Set());
    for (const p of pairs) perClient.get(key).add(p);
  }
}
fs.writeFileSync(
  path.join(root, 'manifest.json'),
  `${JSON.stringify(
    {
      description:
        'Golden Kafka protocol frames recorded with kafka-tap between real clients and a real Apache Kafka broker; see README.md',
      indexFormat:
        'index.jsonl as written by kafka-tap: {seq, conn, dir, apiKey, apiVersion, correlationId, size, file}',
      folders: entries,
    },
    null,
    1,
  )}\n`,
);
for (const [k, s] of perClient) {
  const sorted = [...s].sort((a, b) => {
    const [ak, av] = a.split(':').map(Number),
      [bk, bv] = b.split(':').map(Number);
    return ak - bk || av - bv;
  });
  console.log(`${k}: ${sorted.join(' ')}`);
}
