#!/usr/bin/env bash
# Re-capture every golden folder: for each client, a fresh broker (advertised at the tap),
# then that client's scenarios. Round 1: Kafka 3.9.1 broker (all clients). Round 2: Kafka
# 4.0.2 broker (KIP-848 consumer protocol works there; folders get a -broker-4.0.2 suffix).
# Usage: tools/capture/capture-all.sh [GOLDEN_ROOT]   (needs scripts/install-compat.sh first,
# and kafkajs in $KAFKAJS_DIR, default /tmp/capture-node: npm install kafkajs@2.2.4 there)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(mkdir -p "${1:-$here/../../test/fixtures/golden}" && cd "${1:-$here/../../test/fixtures/golden}" && pwd)"
export TAP_PORT="${TAP_PORT:-19093}"
export KAFKA_ADVERTISED="127.0.0.1:$TAP_PORT"
export KAFKA_EXTRA_PROPS='group.coordinator.rebalance.protocols=classic,consumer'
fresh() { "$here/kafka-broker.sh" stop >/dev/null 2>&1 || true; "$here/kafka-broker.sh" start >/dev/null; }
trap 'for v in 3.9.1 4.0.2; do KAFKA_VERSION=$v "$here/kafka-broker.sh" stop >/dev/null 2>&1 || true; done' EXIT

all_java="admin-create-topics admin-describe-cluster admin-describe-configs admin-incremental-alter-configs \
  produce-idempotent-none produce-idempotent-gzip produce-idempotent-snappy produce-idempotent-lz4 produce-idempotent-zstd \
  produce-transactional admin-list-offsets consume-assign consume-group-classic consume-group-consumer admin-groups \
  admin-delete-records admin-delete-topics"

# Round 1: Kafka 3.9.1
export KAFKA_VERSION=3.9.1 FOLDER_SUFFIX=
fresh; "$here/capture-kcat.sh" "$root"
fresh; "$here/capture-kafkajs.sh" "$root"
fresh; SCENARIOS="$("${SAMSA_PYTHON:-${SAMSA_CACHE:-$HOME/.cache/samsa}/venv/bin/python}" "$here/python/capture.py" | sed 's/^scenarios: //; s/consume-group-consumer-protocol//')" \
  "$here/capture-python.sh" "$root"
fresh; SCENARIOS="$all_java" "$here/capture-java.sh" 3.9.1 "$root"
fresh; SCENARIOS="$all_java" "$here/capture-java.sh" 4.1.2 "$root"

# Round 2: Kafka 4.0.2 (consumer group protocol)
"$here/kafka-broker.sh" stop >/dev/null 2>&1 || true   # stop the 3.9.1 broker: one JVM broker at a time
export KAFKA_VERSION=4.0.2 FOLDER_SUFFIX=-broker-4.0.2
fresh; SCENARIOS="admin-create-topics produce-idempotent-zstd consume-group-classic consume-group-consumer-protocol admin-groups" \
  "$here/capture-python.sh" "$root"
fresh; SCENARIOS="admin-create-topics produce-idempotent-zstd produce-transactional consume-assign consume-group-classic consume-group-consumer admin-groups" \
  "$here/capture-java.sh" 4.1.2 "$root"
fresh; "$here/capture-kcat.sh" "$root"
fresh; "$here/capture-kafkajs.sh" "$root"
"$here/kafka-broker.sh" stop
node "$here/manifest.mjs" "$root"
