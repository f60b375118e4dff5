"""confluent-kafka (librdkafka) scenarios for test/compat/python.test.ts.

Usage: python compat.py SCENARIO BOOTSTRAP TOPIC [ARG]
  admin              create_topics (with a config), describe_configs, incremental_alter_configs,
                     create_partitions, delete_topics; prints what the broker answered at each step
  produce-consume C  create TOPIC (2 partitions), produce with an idempotent producer and codec C,
                     read everything back with a Consumer using assign(); prints both sides

Each scenario prints one JSON line: {"steps": {...}} or {"produced": [...], "consumed": [...]}.
The test decides what is right; this script only reports what the client saw.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                   ConfigSource, NewPartitions, NewTopic)

TIMEOUT = 20


def text(b):
    return None if b is None else b.decode("utf-8")


def err(e):
    if isinstance(e, KafkaException) and e.args:
        k = e.args[0]
        return {"error": k.name() if hasattr(k, "name") else str(k), "message": str(k)}
    return {"error": type(e).__name__, "message": str(e)}


def result_of(future):
    try:
        return {"ok": future.result(TIMEOUT)}
    except Exception as e:  # report, do not stop: later steps may still tell something
        return err(e)


def partitions_of(admin, topic):
    md = admin.list_topics(topic=topic, timeout=TIMEOUT)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return {"error": str(t.error) if t else "absent"}
    return {"count": len(t.partitions), "leaders": sorted({p.leader for p in t.partitions.values()})}


def configs_of(admin, topic, names):
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    got = result_of(admin.describe_configs([res])[res])
    if "ok" not in got:
        return got
    entries = got["ok"]
    return {n: {"value": entries[n].value, "source": ConfigSource(entries[n].source).name,
                "is_default": entries[n].is_default}
            for n in names if n in entries} | {"count": len(entries)}


def admin_scenario(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "samsa-compat-admin"})
    steps = {}
    created = admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1,
                                            config={"retention.ms": "3600000"})])
    steps["create_topics"] = {k: ("ok" if "ok" in (r := result_of(f)) else r) for k, f in created.items()}
    dup = admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    steps["create_topics_again"] = result_of(dup[topic])
    bad = admin.create_topics([NewTopic("bad/name", num_partitions=1, replication_factor=1)])
    steps["create_topics_invalid_name"] = result_of(bad["bad/name"])
    steps["metadata_after_create"] = partitions_of(admin, topic)
    names = ["retention.ms", "cleanup.policy", "segment.bytes", "max.message.bytes"]
    steps["describe_configs"] = configs_of(admin, topic, names)
    res = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE),
    ])
    steps["incremental_alter_configs"] = {"ok": None} if "ok" in (
        r := result_of(admin.incremental_alter_configs([res])[res])) else r
    steps["describe_configs_after_alter"] = configs_of(admin, topic, names)
    broker_res = ConfigResource(ConfigResource.Type.BROKER, "1")
    got = result_of(admin.describe_configs([broker_res])[broker_res])
    steps["describe_broker_configs"] = got if "ok" not in got else {
        n: got["ok"][n].value for n in ["num.partitions", "log.retention.hours"] if n in got["ok"]}
    steps["create_partitions"] = result_of(admin.create_partitions([NewPartitions(topic, 3)])[topic])
    steps["metadata_after_create_partitions"] = partitions_of(admin, topic)
    steps["delete_topics"] = result_of(admin.delete_topics([topic], operation_timeout=TIMEOUT)[topic])
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        md = admin.list_topics(timeout=TIMEOUT)
        if topic not in md.topics:
            break
        time.sleep(0.2)
    steps["listed_after_delete"] = topic in admin.list_topics(timeout=TIMEOUT).topics
    print(json.dumps({"steps": steps}, default=str))


def record_messages(codec):
    """(partition, key, value, headers, timestamp) to produce; None means null."""
    big = ("%s-payload-" % codec) * 200
    return [
        (0, b"k0", big.encode(), [("h1", b"v1"), ("idx", b"0")], None),
        (1, b"k1", ("v-%s-1" % codec).encode(), [("h1", b"v1"), ("nullhdr", None)], None),
        (0, None, ("v-%s-nullkey" % codec).encode(), [], None),
        (1, b"tombstone", None, [], 1700000000000),
        (0, b"k4", "ünïcødé ✓".encode(), [("bin", bytes([0, 1, 2, 255]))], None),
    ]


def produce_consume_scenario(bootstrap, topic, codec):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    r = result_of(admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic])
    if "ok" not in r:
        print(json.dumps({"create": r}))
        return
    p = Producer({"bootstrap.servers": bootstrap, "client.id": "samsa-compat-producer",
                  "enable.idempotence": True, "compression.type": codec, "linger.ms": 20,
                  "message.timeout.ms": TIMEOUT * 1000})
    produced = []

    def on_delivery(e, m):
        produced.append({"error": str(e) if e else None, "partition": m.partition(), "offset": m.offset(),
                         "key": text(m.key()), "value": text(m.value())})

    for partition, key, value, headers, ts in record_messages(codec):
        kw = {"timestamp": ts} if ts else {}
        p.produce(topic, key=key, value=value, headers=headers, partition=partition, on_delivery=on_delivery, **kw)
    left = p.flush(TIMEOUT)

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "samsa-compat-assign",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, i, OFFSET_BEGINNING) for i in range(2)])
    consumed, errors = [], []
    deadline = time.time() + TIMEOUT
    while len(consumed) < len(produced) and time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            errors.append(str(m.error()))
            continue
        consumed.append({"partition": m.partition(), "offset": m.offset(), "key": text(m.key()),
                         "value": text(m.value()), "timestamp": m.timestamp()[1],
                         "headers": [[k, None if v is None else list(v)] for k, v in (m.headers() or [])]})
    c.close()
    print(json.dumps({"unflushed": left, "produced": produced, "consumed": consumed, "errors": errors[:10]}))


def main():
    scenario, bootstrap, topic = sys.argv[1:4]
    if scenario == "admin":
        admin_scenario(bootstrap, topic)
    elif scenario == "produce-consume":
        produce_consume_scenario(bootstrap, topic, sys.argv[4])
    else:
        sys.exit("unknown scenario " + scenario)


if __name__ == "__main__":
    main()
