"""A confluent-kafka (librdkafka) consumer group member for test/compat/cluster/groups.test.ts.

Usage: python group_consumer.py BOOTSTRAP TOPIC GROUP NAME STOP_FILE

Consumes TOPIC in GROUP, committing every message synchronously, while brokers die and come
back. Once STOP_FILE exists it holds a JSON list of the values the test's producer had
acknowledged; the member goes on until the group has seen them all (it writes what it consumed
to STOP_FILE.NAME so members of one group can tell), or a deadline passes, then prints one JSON
line: what it consumed, how often a value came twice, the errors librdkafka reported.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException

bootstrap, topic, group, name, stop_file = sys.argv[1:6]
DEADLINE_AFTER_STOP = 120

consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "client.id": name,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 1000,
    "topic.metadata.refresh.interval.ms": 2000,
})
consumer.subscribe([topic])

seen = {}
errors = {}
commit_errors = {}
expected = None
stop_at = None


def note(table, err):
    key = err.name() if hasattr(err, "name") else str(err)
    table[key] = table.get(key, 0) + 1


def group_has_seen_all():
    others = set()
    for f in os.listdir(os.path.dirname(stop_file)):
        if (f.startswith(os.path.basename(stop_file) + ".") and not f.endswith("." + name)
                and not f.endswith(".tmp")):
            try:
                with open(os.path.join(os.path.dirname(stop_file), f)) as fh:
                    others |= set(json.load(fh))
            except (OSError, ValueError):
                pass
    return expected <= (set(seen) | others)


last_shared = 0
while True:
    m = consumer.poll(0.2)
    if m is not None:
        if m.error():
            note(errors, m.error())
        else:
            v = m.value().decode()
            seen[v] = seen.get(v, 0) + 1
            try:
                consumer.commit(message=m, asynchronous=False)
            except KafkaException as e:
                note(commit_errors, e.args[0])
    now = time.time()
    if expected is None and os.path.exists(stop_file):
        try:
            with open(stop_file) as fh:
                expected = set(json.load(fh))
            stop_at = now + DEADLINE_AFTER_STOP
        except ValueError:
            pass  # still being written
    if expected is not None and now - last_shared > 0.5:
        last_shared = now
        tmp = "%s.%s.tmp" % (stop_file, name)
        with open(tmp, "w") as fh:
            json.dump(sorted(seen), fh)
        os.replace(tmp, "%s.%s" % (stop_file, name))
        if group_has_seen_all() or now > stop_at:
            break

consumer.close()
print(json.dumps({
    "name": name,
    "seen": sorted(seen),
    "duplicates": sum(n - 1 for n in seen.values()),
    "errors": errors,
    "commit_errors": commit_errors,
}))
