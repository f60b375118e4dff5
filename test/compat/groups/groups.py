"""confluent-kafka (librdkafka) consumer-group scenarios for test/compat/groups/python.test.ts.

Usage: python groups.py SCENARIO BOOTSTRAP TOPIC GROUP
  cooperative   two members with cooperative-sticky: incremental (not stop-the-world) rebalances
  static        static members (group.instance.id): a restarted instance takes its place back
  commit        commit()/committed() with metadata, and the AdminClient's group operations
  consumer      two members with group.protocol=consumer (KIP-848, server-side assignment)

Each scenario prints one JSON line with what the clients saw; the test decides what is right.
"""
import json
import sys
import time

from confluent_kafka import Consumer, ConsumerGroupState, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TIMEOUT = 30
PARTITIONS = 6


def setup(bootstrap, topic, messages=60):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])[topic].result(TIMEOUT)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(messages):
        p.produce(topic, key=b"k%d" % i, value=b"v%d" % i, partition=i % PARTITIONS)
    assert p.flush(TIMEOUT) == 0
    return admin


class Member:
    """A consumer that records what it owns from its rebalance callbacks and what it consumed."""

    def __init__(self, name, bootstrap, group, topic, extra):
        self.name, self.owned, self.events, self.consumed = name, set(), [], set()
        conf = {"bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
                "auto.offset.reset": "earliest", "enable.auto.commit": False}
        conf.update(extra)
        self.c = Consumer(conf)
        self.c.subscribe([topic], on_assign=self.on_assign, on_revoke=self.on_revoke, on_lost=self.on_lost)

    def on_assign(self, c, parts):
        self.events.append(["assign", sorted(p.partition for p in parts)])
        self.owned |= {p.partition for p in parts}

    def on_revoke(self, c, parts):
        self.events.append(["revoke", sorted(p.partition for p in parts)])
        self.owned -= {p.partition for p in parts}

    def on_lost(self, c, parts):
        self.events.append(["lost", sorted(p.partition for p in parts)])
        self.owned -= {p.partition for p in parts}

    def poll(self):
        m = self.c.poll(0.05)
        if m is not None and not m.error():
            self.consumed.add("%d:%d" % (m.partition(), m.offset()))
            try:
                self.c.commit(message=m, asynchronous=False)
            except KafkaException as e:  # e.g. REBALANCE_IN_PROGRESS: the next commit covers it
                self.events.append(["commit-error", e.args[0].name()])


def poll_until(members, done, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for m in members:
            m.poll()
        if done():
            return True
    return False


def partitioned(members):
    owned = [m.owned for m in members]
    union = set().union(*owned)
    return all(owned) and len(union) == PARTITIONS and sum(len(o) for o in owned) == PARTITIONS


def settle(members, seconds=1.0):
    poll_until(members, lambda: False, seconds)


def cooperative(bootstrap, topic, group):
    setup(bootstrap, topic)
    extra = {"partition.assignment.strategy": "cooperative-sticky", "session.timeout.ms": 6000,
             "heartbeat.interval.ms": 500}
    a = Member("a", bootstrap, group, topic, extra)
    alone = poll_until([a], lambda: len(a.owned) == PARTITIONS)
    b = Member("b", bootstrap, group, topic, extra)
    shared = poll_until([a, b], lambda: partitioned([a, b]))
    settle([a, b])
    owned_while_shared = {"a": sorted(a.owned), "b": sorted(b.owned)}
    all_consumed = poll_until([a, b], lambda: len(a.consumed | b.consumed) >= 60)
    b.c.close()
    back = poll_until([a], lambda: len(a.owned) == PARTITIONS)
    a.c.close()
    print(json.dumps({"alone": alone, "shared": shared, "back": back, "owned": owned_while_shared,
                      "events": {"a": a.events, "b": b.events},
                      "consumed": len(a.consumed | b.consumed), "all_consumed": all_consumed}))


def static(bootstrap, topic, group):
    setup(bootstrap, topic, messages=0)
    extra = {"partition.assignment.strategy": "range", "session.timeout.ms": 10000,
             "heartbeat.interval.ms": 500}
    a = Member("a", bootstrap, group, topic, dict(extra, **{"group.instance.id": "instance-a"}))
    b = Member("b", bootstrap, group, topic, dict(extra, **{"group.instance.id": "instance-b"}))
    shared = poll_until([a, b], lambda: partitioned([a, b]))
    settle([a, b])
    before = {"a": sorted(a.owned), "b": sorted(b.owned), "a_member": a.c.memberid()}
    b_events_before = len(b.events)
    a.c.close()  # a static member does not leave the group when it closes
    a2 = Member("a2", bootstrap, group, topic, dict(extra, **{"group.instance.id": "instance-a"}))
    back = poll_until([a2, b], lambda: len(a2.owned) > 0)
    settle([a2, b], 2.0)
    after = {"a": sorted(a2.owned), "b": sorted(b.owned), "a_member": a2.c.memberid()}
    b_events = b.events[b_events_before:]
    a2.c.close()
    b.c.close()
    print(json.dumps({"shared": shared, "back": back, "before": before, "after": after,
                      "b_events_during_restart": b_events}))


def commit(bootstrap, topic, group):
    admin = setup(bootstrap, topic, messages=12)
    out = {}
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.commit(offsets=[TopicPartition(topic, 0, 42, "first"), TopicPartition(topic, 1, 7)], asynchronous=False)
    got = c.committed([TopicPartition(topic, p) for p in range(3)], timeout=TIMEOUT)
    out["committed"] = [[t.partition, t.offset, t.metadata, t.error and str(t.error)] for t in got]
    m = Member("m", bootstrap, group + "-live", topic, {"session.timeout.ms": 6000})
    poll_until([m], lambda: len(m.consumed) == 12)
    got = m.c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=TIMEOUT)
    out["committed_after_consuming"] = sorted([t.partition, t.offset] for t in got)
    out["positions"] = sorted([t.partition, t.offset] for t in m.c.position(
        [TopicPartition(topic, p) for p in range(PARTITIONS)]))
    listed = admin.list_consumer_groups(states={ConsumerGroupState.STABLE}).result(TIMEOUT)
    out["listed_stable"] = sorted(g.group_id for g in listed.valid)
    described = admin.describe_consumer_groups([group + "-live"])[group + "-live"].result(TIMEOUT)
    out["described"] = {"state": str(described.state), "members": len(described.members),
                        "assignor": described.partition_assignor,
                        "assigned": sorted(tp.partition for mem in described.members
                                           for tp in mem.assignment.topic_partitions)}
    m.c.close()
    c.close()
    from confluent_kafka import ConsumerGroupTopicPartitions
    offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(TIMEOUT)
    out["admin_offsets"] = sorted([t.partition, t.offset] for t in offsets.topic_partitions)
    deleted = admin.delete_consumer_groups([group])
    try:
        deleted[group].result(TIMEOUT)
        out["deleted"] = True
    except KafkaException as e:
        out["deleted"] = str(e)
    again = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    got = again.committed([TopicPartition(topic, 0)], timeout=TIMEOUT)
    out["committed_after_delete"] = got[0].offset
    again.close()
    print(json.dumps(out))


def consumer_protocol(bootstrap, topic, group):
    setup(bootstrap, topic)
    extra = {"group.protocol": "consumer"}
    a = Member("a", bootstrap, group, topic, extra)
    alone = poll_until([a], lambda: len(a.owned) == PARTITIONS)
    b = Member("b", bootstrap, group, topic, extra)
    shared = poll_until([a, b], lambda: partitioned([a, b]))
    owned = {"a": sorted(a.owned), "b": sorted(b.owned)}
    all_consumed = poll_until([a, b], lambda: len(a.consumed | b.consumed) >= 60)
    b.c.close()
    back = poll_until([a], lambda: len(a.owned) == PARTITIONS)
    a.c.close()
    print(json.dumps({"alone": alone, "shared": shared, "back": back, "owned": owned,
                      "consumed": len(a.consumed | b.consumed), "all_consumed": all_consumed}))


if __name__ == "__main__":
    scenario, bootstrap, topic, group = sys.argv[1:5]
    {"cooperative": cooperative, "static": static, "commit": commit,
     "consumer": consumer_protocol}[scenario](bootstrap, topic, group)
