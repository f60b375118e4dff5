// Which __consumer_offsets partition holds a group: abs(String.hashCode(groupId)) % partitions,
// exactly as Kafka computes it, so tools that read the topic and brokers that share a cluster
// agree on where a group lives.

/** Java's String.hashCode: over UTF-16 code units, with 32-bit overflow (JS strings are UTF-16). */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 rather than staying negative. */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionForGroup(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
