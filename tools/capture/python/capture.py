"""confluent-kafka (librdkafka) scenarios for golden capture.

Usage: python capture.py SCENARIO   (connects to $BOOTSTRAP)
"""
import os
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import (AdminClient, NewTopic, NewPartitions, ConfigResource,
                                   ConfigEntry, AlterConfigOpType, OffsetSpec)

B = os.environ.get("BOOTSTRAP", "127.0.0.1:19093")
T = "py-topic"
TMP = "py-tmp"


_ADMIN = []


def admin():
    # Keep a reference: a collected AdminClient destroys its handle and fails pending futures.
    if not _ADMIN:
        _ADMIN.append(AdminClient({"bootstrap.servers": B, "client.id": "py-capture"}))
    return _ADMIN[0]


def wait_all(futs):
    for k, f in futs.items():
        try:
            print(k, str(f.result())[:200])
        except Exception as e:  # keep going: the frames are what matters
            print(k, "ERROR", e)


def produce(codec, idempotent=True, transactional=False):
    conf = {"bootstrap.servers": B, "client.id": "py-producer", "compression.type": codec,
            "enable.idempotence": idempotent, "linger.ms": 20}
    if transactional:
        conf["transactional.id"] = "py-txn"
    p = Producer(conf)
    if transactional:
        p.init_transactions(10)
        p.begin_transaction()
    for i in range(3):
        p.produce(T, key=f"k{i}".encode(), value=f"v-{codec}-{i}".encode() * (20 if codec != "none" else 1),
                  headers=[("h1", b"v1"), ("idx", str(i).encode()), ("nullhdr", None)], partition=i % 3)
    p.produce(T, key=None, value=f"v-{codec}-nullkey".encode(), partition=0)
    p.produce(T, key=b"tomb", value=None, partition=1, timestamp=1700000000000)
    if transactional:
        p.commit_transaction(10)
    print("unflushed", p.flush(10))


def consume(conf, n, setup):
    c = Consumer({"bootstrap.servers": B, "client.id": "py-consumer", "auto.offset.reset": "earliest", **conf})
    setup(c)
    got, deadline = 0, time.time() + 40
    while got < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            print("err", m.error())
            continue
        got += 1
        print(m.partition(), m.offset(), m.key(), (m.value() or b"")[:20], m.headers())
    return c


def consume_assign():
    c = consume({"group.id": "py-assign", "enable.auto.commit": False}, 8,
                lambda c: c.assign([TopicPartition(T, p, OFFSET_BEGINNING) for p in range(3)]))
    c.close()


def consume_group(protocol="classic"):
    conf = {"group.id": f"py-group-{protocol}", "enable.auto.commit": False, "group.protocol": protocol}
    if protocol == "classic":
        conf["session.timeout.ms"] = 10000
    c = consume(conf, 8, lambda c: c.subscribe([T]))
    c.commit(asynchronous=False)
    print("committed", c.committed([TopicPartition(T, p) for p in range(3)], timeout=10))
    c.close()


def s_create_topics():
    wait_all(admin().create_topics([NewTopic(T, 3, 1),
                                    NewTopic(TMP, 1, 1, config={"cleanup.policy": "compact"})],
                                   operation_timeout=10))


def s_metadata():
    a = admin()
    md = a.list_topics(timeout=10)
    print(sorted(md.topics), md.brokers)
    print(a.describe_cluster(include_authorized_operations=True).result())
    print(a.describe_topics(__import__("confluent_kafka").TopicCollection([T])).get(T).result() if hasattr(a, "describe_topics") else "")


def s_describe_configs():
    wait_all(admin().describe_configs([ConfigResource("TOPIC", T), ConfigResource("BROKER", "1")]))


def s_alter_configs():
    wait_all(admin().alter_configs([ConfigResource("TOPIC", TMP, set_config={"retention.ms": "7200000"})]))


def s_incremental_alter_configs():
    wait_all(admin().incremental_alter_configs([ConfigResource("TOPIC", TMP, incremental_configs=[
        ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("segment.ms", None, incremental_operation=AlterConfigOpType.DELETE)])]))


def s_create_partitions():
    wait_all(admin().create_partitions([NewPartitions(TMP, 2)], operation_timeout=10))


def s_list_offsets():
    wait_all(admin().list_offsets({TopicPartition(T, 0): OffsetSpec.earliest(),
                                   TopicPartition(T, 1): OffsetSpec.latest(),
                                   TopicPartition(T, 2): OffsetSpec.max_timestamp(),
                                   }))
    wait_all(admin().list_offsets({TopicPartition(T, 1): OffsetSpec.for_timestamp(1700000000000)}))


def s_delete_records():
    wait_all(admin().delete_records([TopicPartition(T, 0, 1)]))


def s_groups():
    a = admin()
    print(a.list_consumer_groups().result())
    wait_all(a.describe_consumer_groups(["py-group-classic"]))
    from confluent_kafka import ConsumerGroupTopicPartitions
    wait_all(a.list_consumer_group_offsets([ConsumerGroupTopicPartitions("py-group-classic")]))
    wait_all(a.alter_consumer_group_offsets([ConsumerGroupTopicPartitions("py-group-classic", [TopicPartition(T, 0, 1)])]))
    wait_all(a.delete_consumer_groups(["py-assign"]))


def s_delete_topics():
    wait_all(admin().delete_topics([TMP], operation_timeout=10))


SCENARIOS = {
    "admin-create-topics": s_create_topics,
    "admin-metadata": s_metadata,
    "admin-describe-configs": s_describe_configs,
    "admin-alter-configs": s_alter_configs,
    "admin-incremental-alter-configs": s_incremental_alter_configs,
    "admin-create-partitions": s_create_partitions,
    **{f"produce-idempotent-{c}": (lambda c=c: produce(c)) for c in ["none", "gzip", "snappy", "lz4", "zstd"]},
    "produce-transactional": lambda: produce("none", transactional=True),
    "admin-list-offsets": s_list_offsets,
    "consume-assign": consume_assign,
    "consume-group-classic": consume_group,
    "consume-group-consumer-protocol": lambda: consume_group("consumer"),
    "admin-groups": s_groups,
    "admin-delete-records": s_delete_records,
    "admin-delete-topics": s_delete_topics,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in SCENARIOS:
        print("scenarios:", " ".join(SCENARIOS))
        sys.exit(0 if len(sys.argv) < 2 else 2)
    SCENARIOS[sys.argv[1]]()
