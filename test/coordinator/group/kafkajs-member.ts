// A KafkaJS group member in its own process, so a test can kill it with SIGKILL (a crash, no
// LeaveGroup). It prints one JSON line per event: {assigned} after each rebalance, {consumed}.
//   node --import tsx kafkajs-member.ts <bootstrap> <groupId> <topic> <sessionTimeoutMs>
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, groupId, topic, sessionTimeout] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const kafka = new Kafka({
  brokers: [bootstrap],
  clientId: 'crashing-member',
  logLevel: logLevel.NOTHING,
});
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: Number(sessionTimeout),
  heartbeatInterval: 300,
  rebalanceTimeout: 10_000,
  maxWaitTimeInMs: 200,
});
const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
consumer.on(consumer.events.GROUP_JOIN, (e) =>
  emit({ assigned: e.payload.memberAssignment[topic] ?? [] }),
);
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    emit({ consumed: `${partition}:${message.offset}` });
  },
});
