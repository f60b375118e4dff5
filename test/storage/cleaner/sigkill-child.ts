// Child process of sigkill.test.ts: opens the log manager on a real directory, cleans until the
// given phase (its `occurrence`-th time), says so on stdout and waits to be killed with SIGKILL.
import type { CleanerPhase } from '../../../src/storage/cleaner/cleaner.js';
import { NodeFileSystem } from '../../../src/storage/fs.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { compactedConfig } from './helpers.js';

const [dataDir, phase, occurrence] = process.argv.slice(2) as [string, CleanerPhase, string];
const manager = LogManager.open({
  dataDir,
  fs: new NodeFileSystem(),
  defaultConfig: compactedConfig({ segmentBytes: 600 }),
});
let seen = 0;
const step = manager.cleaner.stepUntil((s) => s.phase === phase && ++seen === Number(occurrence));
process.stdout.write(step ? `at ${phase}\n` : 'finished\n');
setInterval(() => {}, 1000);
