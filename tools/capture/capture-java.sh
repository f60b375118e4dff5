#!/usr/bin/env bash
# Java kafka-clients scenarios. Usage: tools/capture/capture-java.sh VERSION [GOLDEN_ROOT]
# SCENARIOS overrides the list; FOLDER_SUFFIX is appended to the client folder name.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ver="${1:?usage: capture-java.sh VERSION [GOLDEN_ROOT]}"
root="${2:-$here/../../test/fixtures/golden}"
cache="${SAMSA_CACHE:-$HOME/.cache/samsa}"
libs="$("$here/fetch-java-clients.sh" "$ver")"
classes="$cache/capture-java-$ver/classes"
mkdir -p "$classes"
javac -nowarn -d "$classes" -cp "$libs/*" "$here/java/Capture.java"
export CAPTURE_CLIENT=java-kafka-clients CAPTURE_CLIENT_VERSION="$ver"
scen="${SCENARIOS:-admin-create-topics admin-describe-cluster admin-describe-configs admin-incremental-alter-configs \
  produce-idempotent-none produce-idempotent-gzip produce-idempotent-snappy produce-idempotent-lz4 produce-idempotent-zstd \
  produce-transactional admin-list-offsets consume-assign consume-group-classic admin-groups admin-delete-records admin-delete-topics}"
for s in $scen; do
  "$here/run-scenario.sh" "$root/java-kafka-clients-$ver${FOLDER_SUFFIX:-}/$s" -- \
    java -Xmx256m -XX:TieredStopAtLevel=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      -cp "$classes:$libs/*" Capture 127.0.0.1:${TAP_PORT:-19093} "$s" || echo "FAILED: $s" >&2
done
