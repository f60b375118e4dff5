#!/usr/bin/env python3
"""End-to-end latency at a fixed rate through librdkafka (confluent-kafka).

Two processes, started by the runner: `consume` first (it prints READY once it is assigned and
positioned), then `produce`. Each record's value starts with CLOCK_MONOTONIC at send time;
the clock is system-wide on Linux, so the consumer process can subtract it from its own
reading. The consumer prints one JSON line with latency percentiles in milliseconds.

  e2e_rate.py consume --bootstrap H:P --topic T --count N [--skip W]
  e2e_rate.py produce --bootstrap H:P --topic T --rate R --size S --count N [--acks 1]

`produce-latency` is a third mode on its own: it produces at a fixed rate with batching (linger
5 ms, 64 KiB batches, as the Java runs) and prints send-to-acknowledgement latency percentiles
from librdkafka's own per-message timing, leaving out the first --skip records, so a broker's
answer time is measured without a JVM's warm-up in it.

  e2e_rate.py produce-latency --bootstrap H:P --topic T --rate R --size S --count N [--acks all]
"""
import argparse
import json
import struct
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def consume(args):
    c = Consumer({
        'bootstrap.servers': args.bootstrap,
        'group.id': 'bench-e2e',
        'enable.auto.commit': False,
        'fetch.wait.max.ms': 100,
        'fetch.min.bytes': 1,
    })
    c.assign([TopicPartition(args.topic, 0, OFFSET_BEGINNING)])
    # An empty poll makes librdkafka fetch metadata and start fetching before records flow.
    c.poll(0.5)
    print('READY', flush=True)
    lat = []
    seen = 0
    deadline = time.monotonic() + args.timeout
    # poll() returns as soon as one record is there; consume(num_messages=N) would wait for N
    # records (100 ms at 10k/s) and charge that wait to every record's latency.
    while seen < args.count and time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        now = time.monotonic_ns()
        seen += 1
        if seen > args.skip:
            sent, = struct.unpack_from('>q', m.value(), 0)
            lat.append((now - sent) / 1e6)
    c.close()
    lat.sort()
    out = {
        'records': seen,
        'measured': len(lat),
        'avg': sum(lat) / len(lat) if lat else None,
        'p50': percentile(lat, 0.50),
        'p99': percentile(lat, 0.99),
        'p999': percentile(lat, 0.999),
        'max': lat[-1] if lat else None,
    }
    print(json.dumps(out), flush=True)


def produce(args):
    p = Producer({
        'bootstrap.servers': args.bootstrap,
        'acks': args.acks,
        'linger.ms': 0,
        'enable.idempotence': False,
    })
    pad = b'x' * max(0, args.size - 8)
    sent = 0
    start = time.monotonic()
    while sent < args.count:
        due = min(args.count, int((time.monotonic() - start) * args.rate) + 1)
        while sent < due:
            while True:
                try:
                    p.produce(args.topic, struct.pack('>q', time.monotonic_ns()) + pad, partition=0)
                    break
                except BufferError:
                    p.poll(0.001)
            sent += 1
        p.poll(0)
        time.sleep(0.0005)
    p.flush(30)
    elapsed = time.monotonic() - start
    print(json.dumps({'records': sent, 'seconds': elapsed, 'rate': sent / elapsed}), flush=True)


def produce_latency(args):
    p = Producer({
        'bootstrap.servers': args.bootstrap,
        'acks': args.acks,
        'linger.ms': 5,
        'batch.size': 65536,
        'enable.idempotence': args.acks in ('all', '-1'),
    })
    value = b'x' * args.size
    lat = []
    failed = 0

    def measured(err, msg):
        nonlocal failed
        if err is not None:
            failed += 1
        else:
            lat.append(msg.latency() * 1000)

    sent = 0
    start = time.monotonic()
    while sent < args.count:
        due = min(args.count, int((time.monotonic() - start) * args.rate) + 1)
        while sent < due:
            cb = measured if sent >= args.skip else None
            while True:
                try:
                    p.produce(args.topic, value, partition=0, on_delivery=cb)
                    break
                except BufferError:
                    p.poll(0.001)
            sent += 1
        p.poll(0)
        time.sleep(0.0005)
    p.flush(60)
    elapsed = time.monotonic() - start
    lat.sort()
    print(json.dumps({
        'records': sent,
        'measured': len(lat),
        'failed': failed,
        'rate': sent / elapsed,
        'avg': sum(lat) / len(lat) if lat else None,
        'p50': percentile(lat, 0.50),
        'p99': percentile(lat, 0.99),
        'p999': percentile(lat, 0.999),
        'max': lat[-1] if lat else None,
    }), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('role', choices=['consume', 'produce', 'produce-latency'])
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--count', type=int, required=True)
    ap.add_argument('--skip', type=int, default=0, help='records not measured (warm-up)')
    ap.add_argument('--timeout', type=float, default=120)
    ap.add_argument('--rate', type=float, default=10000)
    ap.add_argument('--size', type=int, default=1024)
    ap.add_argument('--acks', default='1')
    args = ap.parse_args()
    {'consume': consume, 'produce': produce, 'produce-latency': produce_latency}[args.role](args)


if __name__ == '__main__':
    sys.exit(main())
