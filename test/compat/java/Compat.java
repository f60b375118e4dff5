// Java kafka-clients scenarios for test/compat/java.test.ts, run in one JVM (startup is the
// expensive part). Prints one JSON line per step with what the client saw; the test decides
// what is right. A step that throws prints {"step":..., "error":...} and the rest still run.
//
//   java -cp <classes>:<kafka-clients libs>/* Compat BOOTSTRAP TOPIC_PREFIX
//
// Two more modes serve test/compat/client-interop.test.ts (the Samsa client and Java reading
// each other), each handling several topics in one JVM; bytes are hex, null is null:
//
//   Compat consume BOOTSTRAP PARTITIONS COUNT TOPIC...
//     reads COUNT records from every partition's beginning of each topic (assign, no group)
//     and prints {"topic","partition","offset","key","value","headers":[[k,v],...]} per record
//   Compat produce BOOTSTRAP < lines
//     each line is TOPIC CODEC KEY VALUE [HEADER_KEY HEADER_VALUE]... separated by tabs (header
//     keys hex too, "-" for null); one default (idempotent) producer per codec, default
//     partitioner; prints the same line per delivery, with the headers it was given

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class Compat {
  static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};
  static final long TIMEOUT_S = 20;
  static String bootstrap;

  interface Step { void run(StringBuilder out) throws Exception; }

  public static void main(String[] args) throws Exception {
    if (args[0].equals("consume")) {
      bootstrap = args[1];
      consumeTopics(Integer.parseInt(args[2]), Integer.parseInt(args[3]), Arrays.asList(args).subList(4, args.length));
      return;
    }
    if (args[0].equals("produce")) {
      bootstrap = args[1];
      produceLines();
      return;
    }
    bootstrap = args[0];
    String prefix = args[1];
    String adminTopic = prefix + "-admin";
    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    ap.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
    ap.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    try (Admin admin = Admin.create(ap)) {
      step("createTopics", out -> {
        List<NewTopic> topics = new ArrayList<>();
        topics.add(new NewTopic(adminTopic, 2, (short) 1).configs(Map.of("retention.ms", "3600000")));
        for (String c : CODECS) topics.add(new NewTopic(prefix + "-" + c, 2, (short) 1));
        admin.createTopics(topics).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        TopicDescription d = admin.describeTopics(List.of(adminTopic)).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS).get(adminTopic);
        field(out, "partitions", d.partitions().size());
        field(out, "leaders", d.partitions().stream().map(p -> p.leader().id()).toList().toString());
      });
      step("describeCluster", out -> {
        DescribeClusterResult r = admin.describeCluster();
        Collection<Node> nodes = r.nodes().get(TIMEOUT_S, TimeUnit.SECONDS);
        field(out, "clusterId", r.clusterId().get(TIMEOUT_S, TimeUnit.SECONDS));
        field(out, "controller", r.controller().get(TIMEOUT_S, TimeUnit.SECONDS).id());
        StringBuilder ns = new StringBuilder();
        for (Node n : nodes) ns.append(ns.length() > 0 ? "," : "").append(n.id()).append('@').append(n.host()).append(':').append(n.port());
        field(out, "nodes", ns.toString());
      });
      step("describeConfigs", out -> {
        ConfigResource t = new ConfigResource(ConfigResource.Type.TOPIC, adminTopic);
        ConfigResource b = new ConfigResource(ConfigResource.Type.BROKER, "1");
        Map<ConfigResource, Config> cs = admin.describeConfigs(List.of(t, b)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        for (String name : List.of("retention.ms", "cleanup.policy", "max.message.bytes")) {
          ConfigEntry e = cs.get(t).get(name);
          field(out, name, e == null ? null : e.value() + "/" + e.source());
        }
        ConfigEntry np = cs.get(b).get("num.partitions");
        field(out, "broker.num.partitions", np == null ? null : np.value());
      });
    }
    for (String codec : CODECS) step("produceConsume-" + codec, out -> produceConsume(out, prefix + "-" + codec, codec));
    try (Admin admin = Admin.create(ap)) {
      step("listOffsets", out -> {
        TopicPartition tp = new TopicPartition(prefix + "-zstd", 0);
        for (Map.Entry<String, OffsetSpec> s : List.of(
            Map.entry("earliest", OffsetSpec.earliest()),
            Map.entry("latest", OffsetSpec.latest()),
            Map.entry("maxTimestamp", OffsetSpec.maxTimestamp()),
            Map.entry("forTimestamp", OffsetSpec.forTimestamp(1700000000000L)))) {
          ListOffsetsResult.ListOffsetsResultInfo i = admin.listOffsets(Map.of(tp, s.getValue())).partitionResult(tp).get(TIMEOUT_S, TimeUnit.SECONDS);
          field(out, s.getKey(), i.offset() + "@" + i.timestamp());
        }
      });
    }
  }

  static void produceConsume(StringBuilder out, String topic, String codec) throws Exception {
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
    pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    String big = (codec + "-payload-").repeat(200);
    List<ProducerRecord<byte[], byte[]>> records = List.of(
        rec(topic, 0, null, "k0", big, "h1", "v1"),
        rec(topic, 1, null, "k1", "v-" + codec + "-1", "h1", "v1", "nullhdr", null),
        rec(topic, 0, null, null, "v-" + codec + "-nullkey"),
        rec(topic, 1, 1700000000000L, "tombstone", null),
        rec(topic, 0, null, "k4", "ünïcødé ✓"));
    StringBuilder produced = new StringBuilder();
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<java.util.concurrent.Future<RecordMetadata>> fs = new ArrayList<>();
      for (ProducerRecord<byte[], byte[]> r : records) fs.add(p.send(r));
      for (java.util.concurrent.Future<RecordMetadata> f : fs) {
        RecordMetadata m = f.get(TIMEOUT_S, TimeUnit.SECONDS);
        produced.append(produced.length() > 0 ? "," : "").append(m.partition()).append(':').append(m.offset());
      }
    }
    field(out, "produced", produced.toString());
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<String> consumed = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.currentTimeMillis() + TIMEOUT_S * 1000;
      while (consumed.size() < records.size() && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          StringBuilder hs = new StringBuilder("[");
          for (Header h : r.headers()) {
            hs.append(hs.length() > 1 ? "," : "").append(json(h.key())).append(',').append(h.value() == null ? "null" : Arrays.toString(h.value()).replace(" ", ""));
          }
          hs.append(']');
          consumed.add("{\"partition\":" + r.partition() + ",\"offset\":" + r.offset() + ",\"key\":" + json(str(r.key()))
              + ",\"value\":" + json(str(r.value())) + ",\"timestamp\":" + r.timestamp() + ",\"headers\":" + hs + "}");
        }
      }
    }
    out.append(",\"consumed\":[").append(String.join(",", consumed)).append(']');
  }

  static void consumeTopics(int partitions, int count, List<String> topics) {
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      for (String topic : topics) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
        c.assign(tps);
        c.seekToBeginning(tps);
        int seen = 0;
        long deadline = System.currentTimeMillis() + TIMEOUT_S * 1000;
        while (seen < count && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
            seen++;
            System.out.println(recordLine(r.topic(), r.partition(), r.offset(), r.key(), r.value(), r.headers()));
          }
        }
      }
    } catch (Throwable e) {
      System.out.println("{\"error\":" + json(e.toString()) + "}");
    }
    System.out.flush();
  }

  static void produceLines() throws Exception {
    Map<String, KafkaProducer<byte[], byte[]>> producers = new LinkedHashMap<>();
    List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.isEmpty()) continue;
        String[] f = line.split("\t", -1);
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(f[0], null, unhex(f[2]), unhex(f[3]));
        for (int i = 4; i + 1 < f.length; i += 2) r.headers().add(new String(unhex(f[i]), StandardCharsets.UTF_8), unhex(f[i + 1]));
        KafkaProducer<byte[], byte[]> p = producers.computeIfAbsent(f[1], codec -> {
          Properties pp = new Properties();
          pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
          pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
          pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
          pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
          pp.put(ProducerConfig.LINGER_MS_CONFIG, "20");
          return new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
        });
        records.add(r);
        sent.add(p.send(r));
      }
      for (int i = 0; i < sent.size(); i++) {
        ProducerRecord<byte[], byte[]> r = records.get(i);
        try {
          RecordMetadata m = sent.get(i).get(TIMEOUT_S, TimeUnit.SECONDS);
          System.out.println(recordLine(m.topic(), m.partition(), m.offset(), r.key(), r.value(), r.headers()));
        } catch (Exception e) {
          Throwable c = e.getCause() != null ? e.getCause() : e;
          System.out.println("{\"error\":" + json(c.toString()) + "}");
        }
      }
    } finally {
      for (KafkaProducer<byte[], byte[]> p : producers.values()) p.close(Duration.ofSeconds(TIMEOUT_S));
    }
    System.out.flush();
  }

  static String recordLine(String topic, int partition, long offset, byte[] key, byte[] value, Iterable<Header> headers) {
    StringBuilder hs = new StringBuilder("[");
    for (Header h : headers) {
      hs.append(hs.length() > 1 ? "," : "").append('[').append(json(h.key())).append(',').append(json(hex(h.value()))).append(']');
    }
    return "{\"topic\":" + json(topic) + ",\"partition\":" + partition + ",\"offset\":" + offset + ",\"key\":" + json(hex(key))
        + ",\"value\":" + json(hex(value)) + ",\"headers\":" + hs.append(']') + "}";
  }

  static String hex(byte[] b) { return b == null ? null : HexFormat.of().formatHex(b); }
  static byte[] unhex(String s) { return s.equals("-") ? null : HexFormat.of().parseHex(s); }

  static ProducerRecord<byte[], byte[]> rec(String topic, int partition, Long ts, String key, String value, String... headers) {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, partition, ts, bytes(key), bytes(value));
    for (int i = 0; i < headers.length; i += 2) r.headers().add(headers[i], bytes(headers[i + 1]));
    return r;
  }

  static byte[] bytes(String s) { return s == null ? null : s.getBytes(StandardCharsets.UTF_8); }
  static String str(byte[] b) { return b == null ? null : new String(b, StandardCharsets.UTF_8); }

  static void step(String name, Step body) {
    StringBuilder out = new StringBuilder();
    try {
      body.run(out);
      System.out.println("{\"step\":" + json(name) + out + "}");
    } catch (Throwable e) {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      System.out.println("{\"step\":" + json(name) + ",\"error\":" + json(c.getClass().getSimpleName() + ": " + c.getMessage()) + "}");
    }
    System.out.flush();
  }

  static void field(StringBuilder out, String name, Object value) {
    out.append(',').append(json(name)).append(':').append(value instanceof Number ? value.toString() : json(value == null ? null : value.toString()));
  }

  static String json(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    return b.append('"').toString();
  }
}
