#!/usr/bin/env bash
# KafkaJS scenarios (kafkajs installed in $KAFKAJS_DIR, default /tmp/capture-node).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${1:-$here/../../test/fixtures/golden}"
export KAFKAJS_NO_PARTITIONER_WARNING=1
export KAFKAJS_DIR="${KAFKAJS_DIR:-/tmp/capture-node}"
ver="$(node -p "require('$KAFKAJS_DIR/node_modules/kafkajs/package.json').version")"
export CAPTURE_CLIENT=kafkajs CAPTURE_CLIENT_VERSION="$ver"
scen="${SCENARIOS:-admin-create-topics admin-metadata admin-describe-configs admin-alter-configs produce-none produce-gzip \
         admin-list-offsets consume-group admin-group-offsets admin-delete-topics}"
for s in $scen; do
  "$here/run-scenario.sh" "$root/kafkajs-$ver${FOLDER_SUFFIX:-}/$s" -- node "$here/kafkajs/capture.mjs" "$s" || echo "FAILED: $s" >&2
done
