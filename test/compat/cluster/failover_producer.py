"""confluent-kafka idempotent producer (acks=all) for the cluster failover test.

Usage: failover_producer.py BOOTSTRAP TOPIC

Sends the values 0, 1, 2, ... to partition 0 of TOPIC, about one every 5 ms, until its stdin is
closed; then flushes and exits. Every delivery report is one JSON line on stdout:
{"value": "17", "partition": 0, "offset": 42, "error": null}; the last line is
{"done": true, "sent": N, "unflushed": M}. The test kills and restarts the partition's leader
meanwhile and checks every acknowledged value is at its offset afterwards.
"""

import json
import sys
import threading

from confluent_kafka import Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
stop = threading.Event()


def watch_stdin():
    for _ in sys.stdin:
        pass
    stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()


def on_error(err):
    # Transport errors while a broker is down are expected; fatal ones (idempotence broken)
    # are what the test looks for, so every one is reported.
    print(json.dumps({"client_error": str(err), "fatal": err.fatal()}), flush=True)


producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": 5,
        "message.timeout.ms": 120000,
        "request.timeout.ms": 10000,
        "retry.backoff.ms": 100,
        "topic.metadata.refresh.interval.ms": 1000,
        "error_cb": on_error,
    }
)


def report(err, msg):
    print(
        json.dumps(
            {
                "value": msg.value().decode(),
                "partition": msg.partition(),
                "offset": msg.offset(),
                "error": str(err) if err else None,
            }
        ),
        flush=True,
    )


sent = 0
while not stop.is_set():
    producer.produce(topic, value=str(sent).encode(), partition=0, on_delivery=report)
    sent += 1
    producer.poll(0.005)
left = producer.flush(120)
print(json.dumps({"done": True, "sent": sent, "unflushed": left}), flush=True)
