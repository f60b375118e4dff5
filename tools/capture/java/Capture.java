// Java kafka-clients scenarios for golden capture. Compiled against each client version
// by tools/capture/capture-java.sh. Usage: java -cp ... Capture BOOTSTRAP SCENARIO
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.*;

public class Capture {
  static String B;
  static final String T = "java-topic", TMP = "java-tmp";

  static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, B);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "java-admin");
    return Admin.create(p);
  }

  static void produce(String codec, boolean transactional) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, B);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "java-producer");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    if (transactional) p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "java-txn");
    try (KafkaProducer<String, String> prod = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      if (transactional) { prod.initTransactions(); prod.beginTransaction(); }
      List<java.util.concurrent.Future<RecordMetadata>> fs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        RecordHeaders h = new RecordHeaders();
        h.add("h1", "v1".getBytes(StandardCharsets.UTF_8));
        h.add("idx", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
        h.add("nullhdr", null);
        String v = ("v-" + codec + "-" + i + " ").repeat(codec.equals("none") ? 1 : 20);
        fs.add(prod.send(new ProducerRecord<>(T, i % 3, "k" + i, v, h)));
      }
      fs.add(prod.send(new ProducerRecord<>(T, 0, null, "v-" + codec + "-nullkey")));
      fs.add(prod.send(new ProducerRecord<String, String>(T, 1, 1700000000000L, "tomb", (String) null)));
      if (transactional) prod.commitTransaction();
      prod.flush();
      for (var f : fs) System.out.println(f.get(10, TimeUnit.SECONDS));
    }
  }

  static KafkaConsumer<String, String> consumer(Map<String, Object> extra) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, B);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "java-consumer");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.putAll(extra);
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  static int drain(KafkaConsumer<String, String> c, int n) {
    int got = 0;
    long deadline = System.currentTimeMillis() + 40000;
    while (got < n && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
        got++;
        System.out.println(r.partition() + " " + r.offset() + " " + r.key() + " " + (r.value() == null ? null : r.value().substring(0, Math.min(20, r.value().length()))));
      }
    }
    return got;
  }

  static void consumeGroup(String protocol) {
    Map<String, Object> extra = new HashMap<>();
    extra.put(ConsumerConfig.GROUP_ID_CONFIG, "java-group-" + protocol);
    extra.put("group.protocol", protocol);
    try (KafkaConsumer<String, String> c = consumer(extra)) {
      c.subscribe(List.of(T));
      int got = drain(c, 8);
      if (got == 0) throw new RuntimeException("consumed nothing");
      c.commitSync();
      System.out.println(c.committed(Set.of(new TopicPartition(T, 0), new TopicPartition(T, 1), new TopicPartition(T, 2))));
    }
  }

  public static void main(String[] args) throws Exception {
    B = args[0];
    String s = args[1];
    switch (s) {
      case "admin-create-topics": try (Admin a = admin()) {
        a.createTopics(List.of(new NewTopic(T, 3, (short) 1),
            new NewTopic(TMP, 1, (short) 1).configs(Map.of("cleanup.policy", "compact", "retention.ms", "86400000")))).all().get();
      } break;
      case "admin-describe-cluster": try (Admin a = admin()) {
        DescribeClusterResult r = a.describeCluster(new DescribeClusterOptions().includeAuthorizedOperations(true));
        System.out.println(r.clusterId().get() + " " + r.nodes().get() + " " + r.controller().get());
        System.out.println(a.describeTopics(List.of(T)).allTopicNames().get());
        System.out.println(a.listTopics(new ListTopicsOptions().listInternal(true)).names().get());
      } break;
      case "admin-describe-configs": try (Admin a = admin()) {
        var r = a.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, T), new ConfigResource(ConfigResource.Type.BROKER, "1")),
            new DescribeConfigsOptions().includeSynonyms(true).includeDocumentation(true)).all().get();
        r.forEach((k, v) -> System.out.println(k + " " + v.entries().size() + " entries"));
      } break;
      case "admin-incremental-alter-configs": try (Admin a = admin()) {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, TMP);
        a.incrementalAlterConfigs(Map.of(res, List.of(
            new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET),
            new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.APPEND),
            new AlterConfigOp(new ConfigEntry("segment.ms", ""), AlterConfigOp.OpType.DELETE)))).all().get();
        a.createPartitions(Map.of(TMP, NewPartitions.increaseTo(2))).all().get();
      } break;
      case "produce-idempotent-none": case "produce-idempotent-gzip": case "produce-idempotent-snappy":
      case "produce-idempotent-lz4": case "produce-idempotent-zstd":
        produce(s.substring("produce-idempotent-".length()), false); break;
      case "produce-transactional": produce("none", true); break;
      case "admin-list-offsets": try (Admin a = admin()) {
        Map<TopicPartition, OffsetSpec> m = new HashMap<>();
        m.put(new TopicPartition(T, 0), OffsetSpec.earliest());
        m.put(new TopicPartition(T, 1), OffsetSpec.latest());
        m.put(new TopicPartition(T, 2), OffsetSpec.maxTimestamp());
        System.out.println(a.listOffsets(m).all().get());
        System.out.println(a.listOffsets(Map.of(new TopicPartition(T, 1), OffsetSpec.forTimestamp(1700000000000L))).all().get());
      } break;
      case "consume-assign": {
        try (KafkaConsumer<String, String> c = consumer(Map.of())) {
          c.assign(List.of(new TopicPartition(T, 0), new TopicPartition(T, 1), new TopicPartition(T, 2)));
          c.seekToBeginning(c.assignment());
          if (drain(c, 8) == 0) throw new RuntimeException("consumed nothing");
        }
      } break;
      case "consume-group-classic": consumeGroup("classic"); break;
      case "consume-group-consumer": consumeGroup("consumer"); break;
      case "admin-groups": try (Admin a = admin()) {
        System.out.println(a.listConsumerGroups().all().get());
        System.out.println(a.describeConsumerGroups(List.of("java-group-classic")).all().get());
        System.out.println(a.listConsumerGroupOffsets("java-group-classic").partitionsToOffsetAndMetadata().get());
      } break;
      case "admin-delete-records": try (Admin a = admin()) {
        System.out.println(a.deleteRecords(Map.of(new TopicPartition(T, 0), RecordsToDelete.beforeOffset(1))).all().get() == null);
      } break;
      case "admin-delete-topics": try (Admin a = admin()) {
        a.deleteTopics(List.of(TMP)).all().get();
      } break;
      default: throw new IllegalArgumentException("unknown scenario " + s);
    }
  }
}
