// Java kafka-clients consumer groups against Samsa, for test/compat/groups/java.test.ts.
//   java GroupsCompat BOOTSTRAP TOPIC GROUP PROTOCOL    (PROTOCOL: classic | consumer)
// Two members (each polling on its own thread, as KafkaConsumer is single-threaded) share six
// partitions, consume everything and commit; one leaves and the other takes all partitions;
// then a new member resumes from the committed offsets. Prints one JSON line per step.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class GroupsCompat {
    static final int PARTITIONS = 6, MESSAGES = 60;
    static String bootstrap, topic, group, protocol;
    static final Set<String> consumed = ConcurrentHashMap.newKeySet();

    static void emit(String step, String json) {
        System.out.println("{\"step\":\"" + step + "\"," + json + "}");
        System.out.flush();
    }

    static String list(Collection<Integer> xs) {
        List<Integer> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.toString().replace(" ", "");
    }

    static class Member implements Runnable {
        final String name;
        final Set<Integer> owned = ConcurrentHashMap.newKeySet();
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch closed = new CountDownLatch(1);
        final List<String> errors = new CopyOnWriteArrayList<>();
        volatile Map<Integer, Long> committed = Map.of();
        volatile Map<Integer, Long> positions = Map.of();
        volatile String groupInfo = "";
        final Thread thread;

        Member(String name) {
            this.name = name;
            this.thread = new Thread(this, name);
            thread.start();
        }

        public void run() {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
            p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            if (protocol.equals("classic")) {
                p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
                p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
            }
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
                c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                    public void onPartitionsRevoked(Collection<TopicPartition> ps) {
                        for (TopicPartition tp : ps) owned.remove(tp.partition());
                    }
                    public void onPartitionsAssigned(Collection<TopicPartition> ps) {
                        for (TopicPartition tp : ps) owned.add(tp.partition());
                    }
                    public void onPartitionsLost(Collection<TopicPartition> ps) {
                        for (TopicPartition tp : ps) owned.remove(tp.partition());
                    }
                });
                while (!stop.get()) {
                    ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<String, String> r : records) consumed.add(r.partition() + ":" + r.offset());
                    if (!records.isEmpty()) {
                        try {
                            c.commitSync();
                        } catch (Exception e) {
                            errors.add(e.getClass().getSimpleName());
                        }
                    }
                    Set<TopicPartition> all = new HashSet<>();
                    for (int i = 0; i < PARTITIONS; i++) all.add(new TopicPartition(topic, i));
                    Map<Integer, Long> pos = new TreeMap<>();
                    for (TopicPartition tp : c.assignment()) pos.put(tp.partition(), c.position(tp));
                    positions = pos;
                    ConsumerGroupMetadata md = c.groupMetadata();
                    groupInfo = "\"generation\":" + md.generationId() + ",\"memberId\":\"" + md.memberId() + "\"";
                }
                Set<TopicPartition> all = new HashSet<>();
                for (int i = 0; i < PARTITIONS; i++) all.add(new TopicPartition(topic, i));
                Map<Integer, Long> com = new TreeMap<>();
                for (Map.Entry<TopicPartition, OffsetAndMetadata> e : c.committed(all).entrySet()) {
                    if (e.getValue() != null) com.put(e.getKey().partition(), e.getValue().offset());
                }
                committed = com;
            } catch (Exception e) {
                errors.add(e.toString());
            } finally {
                closed.countDown();
            }
        }

        void close() throws InterruptedException {
            stop.set(true);
            closed.await(60, TimeUnit.SECONDS);
        }
    }

    static boolean await(String what, Callable<Boolean> done) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            if (done.call()) return true;
            Thread.sleep(50);
        }
        emit("timeout", "\"waiting_for\":\"" + what + "\"");
        return false;
    }

    static boolean partitioned(Member... ms) {
        Set<Integer> union = new HashSet<>();
        int total = 0;
        for (Member m : ms) {
            if (m.owned.isEmpty()) return false;
            union.addAll(m.owned);
            total += m.owned.size();
        }
        return union.size() == PARTITIONS && total == PARTITIONS;
    }

    public static void main(String[] args) throws Exception {
        bootstrap = args[0];
        topic = args[1];
        group = args[2];
        protocol = args[3];
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            for (int i = 0; i < MESSAGES; i++) producer.send(new ProducerRecord<>(topic, i % PARTITIONS, "k" + i, "v" + i));
            producer.flush();
        }

        Member a = new Member("member-a");
        boolean alone = await("a owns everything", () -> a.owned.size() == PARTITIONS);
        emit("alone", "\"ok\":" + alone + ",\"a\":" + list(a.owned));
        Member b = new Member("member-b");
        boolean shared = await("a and b share", () -> partitioned(a, b));
        emit("shared", "\"ok\":" + shared + ",\"a\":" + list(a.owned) + ",\"b\":" + list(b.owned));
        boolean all = await("everything consumed", () -> consumed.size() >= MESSAGES);
        emit("consumed", "\"ok\":" + all + ",\"count\":" + consumed.size());
        Thread.sleep(300); // let the last commits land
        b.close();
        boolean back = await("a owns everything again", () -> a.owned.size() == PARTITIONS);
        emit("b_left", "\"ok\":" + back + ",\"a\":" + list(a.owned) + "," + a.groupInfo);
        await("a positions at the end", () -> a.positions.size() == PARTITIONS
            && a.positions.values().stream().mapToLong(Long::longValue).sum() == MESSAGES);
        a.close();
        emit("a_closed", "\"committed\":\"" + a.committed + "\",\"positions\":\"" + a.positions + "\"");

        consumed.clear();
        Member c = new Member("member-c");
        boolean resumed = await("c owns everything", () -> c.owned.size() == PARTITIONS && c.positions.size() == PARTITIONS);
        Thread.sleep(500);
        emit("resumed", "\"ok\":" + resumed + ",\"positions\":\"" + c.positions + "\",\"reconsumed\":" + consumed.size());
        c.close();
        List<String> errors = new ArrayList<>();
        for (Member m : List.of(a, b, c)) errors.addAll(m.errors);
        emit("done", "\"errors\":\"" + String.join(";", errors).replace("\"", "'") + "\"");
    }
}
