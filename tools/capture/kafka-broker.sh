#!/usr/bin/env bash
# Fetch and run a real Apache Kafka broker (KRaft combined mode, one JVM) for golden-byte
# capture and for comparison benchmarks. Jars come from Maven Central via `mvn` and are
# cached outside the repo; nothing here is committed except this script. kafka-tools is
# fetched too, so benchmarks can run org.apache.kafka.tools.ProducerPerformance /
# ConsumerPerformance with java -cp "$(kafka-broker.sh libs)/*".
#
# Usage:
#   tools/capture/kafka-broker.sh fetch            # download jars only (idempotent)
#   tools/capture/kafka-broker.sh start            # start; prints the client port on stdout
#   tools/capture/kafka-broker.sh stop             # stop the broker started from this run dir
#   tools/capture/kafka-broker.sh status           # prints "running PORT" or "stopped"
#   tools/capture/kafka-broker.sh libs             # prints the libs dir (for java -cp 'DIR/*')
#
# Environment (all optional):
#   KAFKA_VERSION        Kafka version (default 3.9.1; 4.0.x / 4.1.x also work)
#   SAMSA_CACHE          cache root (default ~/.cache/samsa); jars go to $SAMSA_CACHE/kafka-$KAFKA_VERSION/libs
#   KAFKA_RUN_DIR        state dir: config, data, logs, pid (default /tmp/samsa-kafka-$KAFKA_VERSION)
#   KAFKA_PORT           client listener port (default: a free port picked at start)
#   KAFKA_CONTROLLER_PORT controller listener port (default: a free port)
#   KAFKA_INTERNAL_PORT  inter-broker listener port (default: a free port)
#   KAFKA_ADVERTISED     host:port advertised to clients (default 127.0.0.1:$KAFKA_PORT);
#                        point it at a recording proxy so every connection goes through it
#   KAFKA_EXTRA_PROPS    extra server.properties lines (newline-separated)
#   KAFKA_HEAP           JVM heap flags (default "-Xms256m -Xmx768m")
#   JAVA                 java binary (default: java on PATH)
#   KAFKA_START_TIMEOUT  seconds to wait for the broker to come up (default 90)
# The data dir is wiped on every start (fresh cluster each time).
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
SAMSA_CACHE="${SAMSA_CACHE:-$HOME/.cache/samsa}"
KAFKA_HOME="$SAMSA_CACHE/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
RUN_DIR="${KAFKA_RUN_DIR:-/tmp/samsa-kafka-$KAFKA_VERSION}"
JAVA="${JAVA:-java}"
HEAP="${KAFKA_HEAP:--Xms256m -Xmx768m}"

die() { echo "kafka-broker.sh: $*" >&2; exit 1; }
log() { echo "kafka-broker.sh: $*" >&2; }

major() { echo "${KAFKA_VERSION%%.*}"; }

fetch() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  local work; work="$(mktemp -d)"
  local slf4j_binding
  if [[ "$(major)" -ge 4 ]]; then
    # Kafka 4 logs through log4j2; its slf4j binding is not a transitive dependency.
    slf4j_binding='<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
      <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>'
  else
    slf4j_binding='<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
      <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>'
  fi
  cat >"$work/pom.xml" <<EOF
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>samsa.capture</groupId><artifactId>kafka-broker-fetch</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    $slf4j_binding
  </dependencies>
</project>
EOF
  log "fetching Apache Kafka $KAFKA_VERSION jars into $LIBS (mvn)"
  mkdir -p "$LIBS"
  if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$LIBS" -DincludeScope=runtime >"$work/mvn.log" 2>&1; then
    tail -30 "$work/mvn.log" >&2
    die "mvn failed to fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  fi
  ls "$LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 || die "kafka_2.13 jar missing after mvn"
  touch "$LIBS/.complete"
  rm -rf "$work"
}

free_port() {
  # Ask the kernel for a free ephemeral port.
  if command -v python3 >/dev/null; then
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
  else
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

is_running() {
  [[ -f "$RUN_DIR/pid" ]] && kill -0 "$(cat "$RUN_DIR/pid")" 2>/dev/null
}

start() {
  fetch
  if is_running; then die "already running (pid $(cat "$RUN_DIR/pid"), port $(cat "$RUN_DIR/port")); stop it first"; fi
  local port="${KAFKA_PORT:-$(free_port)}"
  local cport="${KAFKA_CONTROLLER_PORT:-$(free_port)}"
  while [[ "$cport" == "$port" ]]; do cport="$(free_port)"; done
  # Broker-to-itself traffic (txn markers, AddPartitionsToTxn verification) uses its own
  # INTERNAL listener, so a proxy in front of PLAINTEXT sees only client connections.
  local iport="${KAFKA_INTERNAL_PORT:-$(free_port)}"
  while [[ "$iport" == "$port" || "$iport" == "$cport" ]]; do iport="$(free_port)"; done
  local adv="${KAFKA_ADVERTISED:-127.0.0.1:$port}"
  rm -rf "$RUN_DIR/data" "$RUN_DIR/logs"
  mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs"
  cat >"$RUN_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,INTERNAL://127.0.0.1:$iport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://$adv,INTERNAL://127.0.0.1:$iport
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$RUN_DIR/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
log.segment.bytes=16777216
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
${KAFKA_EXTRA_PROPS:-}
EOF
  # Logging: log4j 1 (reload4j, Kafka 3.x) and log4j2 (Kafka 4.x) configs, both to a file.
  cat >"$RUN_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, F
log4j.appender.F=org.apache.log4j.FileAppender
log4j.appender.F.File=$RUN_DIR/logs/server.log
log4j.appender.F.layout=org.apache.log4j.PatternLayout
log4j.appender.F.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  cat >"$RUN_DIR/log4j2.properties" <<EOF
rootLogger.level=INFO
rootLogger.appenderRef.f.ref=F
appender.f.type=File
appender.f.name=F
appender.f.fileName=$RUN_DIR/logs/server.log
appender.f.layout.type=PatternLayout
appender.f.layout.pattern=[%d] %p %m (%c)%n
EOF
  local logopts=(-Dlog4j.configuration="file:$RUN_DIR/log4j.properties"
                 -Dlog4j2.configurationFile="$RUN_DIR/log4j2.properties"
                 -Dkafka.logs.dir="$RUN_DIR/logs")
  local cluster_id
  cluster_id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | head -c22)"
  # StorageTool moved from kafka.tools (Scala, core) to org.apache.kafka.tools in some versions.
  local st
  for st in kafka.tools.StorageTool org.apache.kafka.tools.StorageTool; do
    if "$JAVA" $HEAP "${logopts[@]}" -cp "$LIBS/*" "$st" format -t "$cluster_id" \
         -c "$RUN_DIR/server.properties" >"$RUN_DIR/logs/format.log" 2>&1; then
      st=ok; break
    fi
  done
  [[ "$st" == ok ]] || { cat "$RUN_DIR/logs/format.log" >&2; die "storage format failed"; }
  echo "$port" >"$RUN_DIR/port"
  echo "$adv" >"$RUN_DIR/advertised"
  # setsid: the broker gets its own process group so stop can end exactly it.
  setsid "$JAVA" $HEAP -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    "${logopts[@]}" -cp "$LIBS/*" kafka.Kafka "$RUN_DIR/server.properties" \
    >"$RUN_DIR/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/pid"
  local deadline=$(( SECONDS + ${KAFKA_START_TIMEOUT:-90} ))
  until port_open "$port" && grep -qE 'Kafka Server started|\[KafkaRaftServer nodeId=1\] Kafka Server started' "$RUN_DIR/logs/server.log" 2>/dev/null; do
    if ! is_running; then tail -40 "$RUN_DIR/logs/stdout.log" "$RUN_DIR/logs/server.log" >&2 2>/dev/null || true; die "broker exited during startup"; fi
    if (( SECONDS > deadline )); then tail -40 "$RUN_DIR/logs/server.log" >&2 2>/dev/null || true; stop; die "broker did not start within ${KAFKA_START_TIMEOUT:-90}s"; fi
    sleep 0.5
  done
  log "Kafka $KAFKA_VERSION up: pid $(cat "$RUN_DIR/pid"), listening 127.0.0.1:$port, advertised $adv, controller $cport, run dir $RUN_DIR"
  echo "$port"
}

stop() {
  if ! [[ -f "$RUN_DIR/pid" ]]; then log "not running (no $RUN_DIR/pid)"; return 0; fi
  local pid; pid="$(cat "$RUN_DIR/pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then log "pid $pid did not exit after SIGTERM; sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$RUN_DIR/pid"
  log "stopped"
}

case "${1:-}" in
  fetch) fetch; echo "$LIBS" ;;
  start) start ;;
  stop) stop ;;
  status) if is_running; then echo "running $(cat "$RUN_DIR/port")"; else echo stopped; fi ;;
  libs) echo "$LIBS" ;;
  version) echo "$KAFKA_VERSION" ;;
  *) sed -n '2,30p' "$0" >&2; exit 2 ;;
esac
