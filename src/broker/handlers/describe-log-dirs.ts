// DescribeLogDirs (v0-4): the one data directory, with the size of each partition log in it
// (offsetLag 0: no future replicas being moved between directories) and, from v4, the file
// system's total and usable bytes (statfs; -1 when it cannot say). A null topic list means every
// partition; named partitions this broker does not hold are left out, as in Kafka.
import { statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeLogDirsApi,
  type DescribeLogDirsResponse,
  type DescribeLogDirsResponseDescribeLogDirsTopic,
} from '../../protocol/messages/describe-log-dirs.js';
import { defineHandler } from '../handler.js';

function diskSpace(dir: string): { totalBytes: bigint; usableBytes: bigint } {
  try {
    const s = statfsSync(dir, { bigint: true });
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

export default defineHandler({
  api: DescribeLogDirsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx): DescribeLogDirsResponse {
    const { broker } = ctx;
    let wanted: Set<string> | undefined;
    if (request.topics !== null) {
      wanted = new Set(request.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\0${p}`)));
    }
    const byTopic = new Map<string, DescribeLogDirsResponseDescribeLogDirsTopic>();
    for (const [tp, log] of broker.logManager.allLogs()) {
      if (wanted && !wanted.has(`${tp.topic}\0${tp.partition}`)) continue;
      let topic = byTopic.get(tp.topic);
      if (!topic) byTopic.set(tp.topic, (topic = { name: tp.topic, partitions: [] }));
      topic.partitions.push({
        partitionIndex: tp.partition,
        partitionSize: BigInt(log.size),
        offsetLag: 0n,
        isFutureKey: false,
      });
    }
    for (const t of byTopic.values())
      t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
    const logDir = resolve(broker.logManager.dataDir);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [
        {
          errorCode: ErrorCode.NONE,
          logDir,
          topics: [...byTopic.values()].sort((a, b) =>
            a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
          ),
          ...diskSpace(logDir),
        },
      ],
    };
  },
});
