// Java kafka-clients AdminClient calls for test/compat/cluster/admin-clients.test.ts:
//
//   java ReassignAdmin BOOTSTRAP move TOPIC PARTITION 3,1   alterPartitionReassignments to [3,1]
//   java ReassignAdmin BOOTSTRAP cancel TOPIC PARTITION     alterPartitionReassignments, empty
//   java ReassignAdmin BOOTSTRAP list                       listPartitionReassignments
//   java ReassignAdmin BOOTSTRAP elect preferred|unclean TOPIC PARTITION
//   java ReassignAdmin BOOTSTRAP describe TOPIC             describeTopics
//
// Each result is one JSON line on stdout: {"ok":true} or {"error":"ExceptionClassName"} for
// move, cancel and elect; one {"topic","partition","replicas","adding","removing"} line per
// ongoing move for list; one {"partition","leader","replicas","isr"} line per partition for
// describe. Unexpected failures exit non-zero with the stack trace on stderr.
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

public class ReassignAdmin {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(p)) {
      switch (args[1]) {
        case "move": {
          TopicPartition tp = new TopicPartition(args[2], Integer.parseInt(args[3]));
          List<Integer> replicas = new ArrayList<>();
          for (String r : args[4].split(",")) replicas.add(Integer.parseInt(r));
          outcome(() -> admin.alterPartitionReassignments(
                  Map.of(tp, Optional.of(new NewPartitionReassignment(replicas))))
              .all().get());
          break;
        }
        case "cancel": {
          TopicPartition tp = new TopicPartition(args[2], Integer.parseInt(args[3]));
          outcome(() -> admin.alterPartitionReassignments(Map.of(tp, Optional.empty())).all().get());
          break;
        }
        case "list": {
          Map<TopicPartition, PartitionReassignment> ongoing =
              admin.listPartitionReassignments().reassignments().get();
          for (Map.Entry<TopicPartition, PartitionReassignment> e : ongoing.entrySet()) {
            System.out.println("{\"topic\":\"" + e.getKey().topic() + "\",\"partition\":"
                + e.getKey().partition() + ",\"replicas\":" + e.getValue().replicas()
                + ",\"adding\":" + e.getValue().addingReplicas()
                + ",\"removing\":" + e.getValue().removingReplicas() + "}");
          }
          break;
        }
        case "elect": {
          ElectionType type =
              args[2].equals("preferred") ? ElectionType.PREFERRED : ElectionType.UNCLEAN;
          TopicPartition tp = new TopicPartition(args[3], Integer.parseInt(args[4]));
          Map<TopicPartition, Optional<Throwable>> results =
              admin.electLeaders(type, Set.of(tp)).partitions().get();
          Optional<Throwable> r = results.get(tp);
          System.out.println(r == null || r.isEmpty()
              ? "{\"ok\":true}"
              : "{\"error\":\"" + r.get().getClass().getSimpleName() + "\"}");
          break;
        }
        case "describe": {
          TopicDescription d =
              admin.describeTopics(List.of(args[2])).allTopicNames().get().get(args[2]);
          for (TopicPartitionInfo i : d.partitions()) {
            System.out.println("{\"partition\":" + i.partition() + ",\"leader\":"
                + (i.leader() == null ? -1 : i.leader().id()) + ",\"replicas\":" + ids(i.replicas())
                + ",\"isr\":" + ids(i.isr()) + "}");
          }
          break;
        }
        default:
          throw new IllegalArgumentException("unknown command " + args[1]);
      }
    }
  }

  interface Call {
    void run() throws Exception;
  }

  /** {"ok":true}, or the class of the Kafka exception the call failed with. */
  static void outcome(Call call) throws Exception {
    try {
      call.run();
      System.out.println("{\"ok\":true}");
    } catch (ExecutionException e) {
      System.out.println("{\"error\":\"" + e.getCause().getClass().getSimpleName() + "\"}");
    }
  }

  static String ids(List<Node> nodes) {
    return "[" + nodes.stream().map(n -> Integer.toString(n.id())).collect(Collectors.joining(","))
        + "]";
  }
}
