// Driving kcat from tests: metadata as JSON, produce `key:value` lines, consume as JSON.
import assert from 'node:assert/strict';
import { findKcat, jsonLines, run } from './support.js';

export const kcat = findKcat();
export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** One record as `kcat -C -J` prints it. */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  headers?: string[];
  key: string | null;
  payload: string | null;
}

interface KcatMetadata {
  controllerid: number;
  brokers: { id: number; name: string }[];
  topics: {
    topic: string;
    error?: string;
    partitions: { partition: number; leader: number; replicas: { id: number }[] }[];
  }[];
}

export async function kcatMetadata(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const args = ['-b', bootstrap, '-L', '-J', '-m', '20'];
  if (topic) args.push('-t', topic);
  const { stdout } = await run(kcatPath(), args, { timeoutMs: 30_000 });
  return jsonLines<KcatMetadata>(stdout)[0]!;
}

/** Produces `key:value` lines (split at the first ':'), with the given headers on each. */
export async function kcatProduce(
  bootstrap: string,
  topic: string,
  codec: string,
  lines: string[],
  headers: string[] = [],
): Promise<void> {
  const args = ['-b', bootstrap, '-P', '-t', topic, '-z', codec, '-K:', '-X', 'linger.ms=20'];
  args.push('-X', 'message.timeout.ms=20000');
  for (const h of headers) args.push('-H', h);
  const { stderr } = await run(kcatPath(), args, { input: `${lines.join('\n')}\n` });
  assert.doesNotMatch(stderr, /ERROR|Failed/i, `kcat -P reported:\n${stderr}`);
}

/** Everything in the topic from the beginning, via `kcat -C -o beginning -e -J`. */
export async function kcatConsume(bootstrap: string, topic: string): Promise<KcatRecord[]> {
  const args = ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J'];
  const { stdout, stderr } = await run(kcatPath(), args, { timeoutMs: 30_000 });
  assert.doesNotMatch(stderr, /ERROR/, `kcat -C reported:\n${stderr}`);
  return jsonLines<KcatRecord>(stdout);
}

export function kcatPath(): string {
  if (!kcat.ok) throw new Error(kcat.why);
  return kcat.path;
}
