# confluent-kafka (librdkafka) AdminClient.elect_leaders for
# test/compat/cluster/admin-clients.test.ts:
#
#   python elect_leaders.py BOOTSTRAP preferred|unclean TOPIC PARTITION
#
# Prints one JSON line: {"ok": true}, or {"error": "<librdkafka error name>"} for the partition.
import json
import sys

from confluent_kafka import ElectionType, TopicPartition
from confluent_kafka.admin import AdminClient

bootstrap, kind, topic, partition = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
admin = AdminClient({"bootstrap.servers": bootstrap})
election = ElectionType.PREFERRED if kind == "preferred" else ElectionType.UNCLEAN
tp = TopicPartition(topic, partition)
# No request_timeout: confluent-kafka 2.16 fails on any keyword argument to elect_leaders.
results = admin.elect_leaders(election, [tp]).result()
error = next(iter(results.values()))
# The value is a KafkaError (the docstring says KafkaException, which wraps one).
if error is not None and not hasattr(error, "name"):
    error = error.args[0]
print(json.dumps({"ok": True} if error is None else {"error": error.name(), "message": error.str()}))
