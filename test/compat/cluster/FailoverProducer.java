// Java kafka-clients idempotent producer (acks=all) for test/compat/cluster/clients-failover.test.ts.
//
//   java FailoverProducer BOOTSTRAP TOPIC
//
// Sends the values 0, 1, 2, ... to partition 0 of TOPIC, about one every 5 ms, until its stdin
// is closed; then flushes and exits. Every send callback is one JSON line on stdout:
// {"value":"17","partition":0,"offset":42,"error":null}; the last line is
// {"done":true,"sent":N}. The test kills and restarts the partition's leader meanwhile and checks
// every acknowledged value is at its offset afterwards.
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class FailoverProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    AtomicBoolean stop = new AtomicBoolean(false);
    Thread watcher =
        new Thread(
            () -> {
              try {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                while (in.read(buf) >= 0) {}
              } catch (Exception e) {
                // stdin gone: stop as on end of file
              }
              stop.set(true);
            });
    watcher.setDaemon(true);
    watcher.start();

    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("linger.ms", "5");
    p.put("delivery.timeout.ms", "120000");
    p.put("request.timeout.ms", "10000");
    p.put("retry.backoff.ms", "100");
    p.put("metadata.max.age.ms", "5000");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    long sent = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      while (!stop.get()) {
        String value = Long.toString(sent++);
        producer.send(
            new ProducerRecord<>(topic, 0, null, value),
            (md, e) -> {
              String line =
                  e == null
                      ? "{\"value\":\"" + value + "\",\"partition\":" + md.partition()
                          + ",\"offset\":" + md.offset() + ",\"error\":null}"
                      : "{\"value\":\"" + value + "\",\"partition\":0,\"offset\":-1,\"error\":\""
                          + quote(e.toString()) + "\"}";
              System.out.println(line);
            });
        Thread.sleep(5);
      }
      producer.flush();
    }
    System.out.println("{\"done\":true,\"sent\":" + sent + "}");
    System.out.flush();
  }

  private static String quote(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
  }
}
