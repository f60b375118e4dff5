// A real process killed with SIGKILL at phases of a cleaning, on a real directory: whatever the
// kernel has (page cache, renames) survives, the process's state does not. Reopened, the log is
// correct and the cleaning finishes. (MemoryFileSystem crash tests also drop unsynced bytes.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from '../../../src/storage/fs.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import {
  assertCorrect,
  compactedConfig,
  latestPerKey,
  type ReadRecord,
  readAll,
  TOPIC,
  writeOverwrites,
} from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const children = new Set<ReturnType<typeof spawn>>();
const dirs: string[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) nodeFs.rmSync(d, { recursive: true, force: true });
});

const open = (dataDir: string) =>
  LogManager.open({
    dataDir,
    fs: new NodeFileSystem(),
    defaultConfig: compactedConfig({ segmentBytes: 600 }),
  });

/** Runs the child until it reports `phase`, then kills it with SIGKILL. */
async function killAt(dataDir: string, phase: string, occurrence: number): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'sigkill-child.ts'), dataDir, phase, String(occurrence)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.add(child);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const said = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', () => reject(new Error(`child exited before reaching ${phase}: ${out}`)));
  });
  assert.equal(said, `at ${phase}`);
  child.kill('SIGKILL');
  await exited;
  children.delete(child);
}

describe('log cleaner: SIGKILL of a real process during cleaning', () => {
  for (const [phase, occurrence] of [
    ['clean-batch', 3],
    ['cleaned-written', 1],
    ['swap-committed', 2],
    ['segments-replaced', 1],
  ] as const) {
    it(`killed at ${phase} #${occurrence}: the reopened log is correct and cleaning completes`, async () => {
      const dataDir = nodeFs.mkdtempSync(join(tmpdir(), 'samsa-cleaner-kill-'));
      dirs.push(dataDir);
      const first = open(dataDir);
      const log = first.getOrCreateLog(TOPIC, 0);
      writeOverwrites(log, 6, 8, 3);
      log.roll();
      const before: ReadRecord[] = readAll(log);
      const leo = log.logEndOffset;
      first.close();

      await killAt(dataDir, phase, occurrence);

      const again = open(dataDir);
      const reopened = again.getOrCreateLog(TOPIC, 0);
      assertCorrect(reopened, before, leo);
      again.cleaner.cleanUntilIdle();
      assert.deepEqual(readAll(reopened), latestPerKey(before));
      again.close();
      const left = nodeFs
        .readdirSync(join(dataDir, `${TOPIC}-0`))
        .filter((n) => /\.(cleaned|swap)$/.test(n));
      assert.deepEqual(left, []);
    });
  }
});
