"""confluent-kafka (librdkafka) half of test/compat/client-interop.test.ts.

Usage: python interop.py consume BOOTSTRAP TOPIC PARTITIONS COUNT
         read COUNT records from every partition's beginning (assign, no group)
       python interop.py produce BOOTSTRAP TOPIC CODEC < records.json
         produce the records on stdin (a JSON list of {key, value, headers}, bytes as hex, null
         as null) with codec CODEC and the murmur2_random partitioner, then print the deliveries

Prints one JSON line per record ({"partition", "offset", "key", "value", "headers"}, bytes as
hex; produce prints the headers it was given, as delivery reports carry none) and, for
produce, a final {"unflushed": n} line. Only reports; the test judges.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

TIMEOUT = 20


def hexed(b):
    return None if b is None else bytes(b).hex()


def unhex(s):
    return None if s is None else bytes.fromhex(s)


def line(partition, offset, key, value, headers):
    print(json.dumps({"partition": partition, "offset": offset, "key": hexed(key), "value": hexed(value),
                      "headers": [[k, hexed(v)] for k, v in (headers or [])]}), flush=True)


def consume(bootstrap, topic, partitions, count):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "samsa-interop", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    seen, deadline = 0, time.time() + TIMEOUT
    while seen < count and time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            print(json.dumps({"error": str(m.error())}), flush=True)
            continue
        seen += 1
        line(m.partition(), m.offset(), m.key(), m.value(), m.headers())
    c.close()


def produce(bootstrap, topic, codec):
    p = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 20,
                  "partitioner": "murmur2_random", "message.timeout.ms": TIMEOUT * 1000})

    def reporter(headers):
        # Delivery reports carry no headers, so the ones given to produce() are printed.
        def on_delivery(e, m):
            if e:
                print(json.dumps({"error": str(e)}), flush=True)
            else:
                line(m.partition(), m.offset(), m.key(), m.value(), headers)
        return on_delivery

    for r in json.load(sys.stdin):
        headers = [(k, unhex(v)) for k, v in r["headers"]]
        p.produce(topic, key=unhex(r["key"]), value=unhex(r["value"]), headers=headers, on_delivery=reporter(headers))
    print(json.dumps({"unflushed": p.flush(TIMEOUT)}), flush=True)


def main():
    mode, bootstrap, topic = sys.argv[1:4]
    if mode == "consume":
        consume(bootstrap, topic, int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "produce":
        produce(bootstrap, topic, sys.argv[4])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
