#!/usr/bin/env bash
# kcat scenarios. Run with the broker up (advertised at the tap port); see README in
# test/fixtures/golden. Usage: tools/capture/capture-kcat.sh [GOLDEN_ROOT]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${1:-$here/../../test/fixtures/golden}"
ver="$(kcat -V | sed -n 's/^Version \([^ ]*\).*/\1/p')"
export CAPTURE_CLIENT=kcat CAPTURE_CLIENT_VERSION="$ver (librdkafka $(kcat -V | sed -n 's/.*librdkafka \([^ ]*\).*/\1/p'))"
dir="$root/kcat-$ver${FOLDER_SUFFIX:-}"
run() { local s="$1"; shift; "$here/run-scenario.sh" "$dir/$s" -- bash -c "$*"; }
T=kcat-topic
run metadata-empty 'kcat -b $BOOTSTRAP -L'
for z in none gzip snappy lz4 zstd; do
  run "produce-$z" "printf 'key1:value-$z-1\nkey2:value-$z-2\n:value-$z-emptykey\n' | kcat -b \$BOOTSTRAP -P -t $T -z $z -K: -H h1=v1 -H trace=abc -X linger.ms=5"
done
run metadata-all 'kcat -b $BOOTSTRAP -L'
run metadata-topic "kcat -b \$BOOTSTRAP -L -t $T"
run consume-beginning "kcat -b \$BOOTSTRAP -C -t $T -o beginning -e -f '%k=%s [%h] @%o\n'"
run consume-offset-partition "kcat -b \$BOOTSTRAP -C -t $T -p 0 -o 3 -c 2 -e"
run consume-group "timeout 40 kcat -b \$BOOTSTRAP -G kcat-group $T -o beginning -c 15 -X auto.commit.interval.ms=500 -f '%k=%s\n' || true"
run query-offsets "kcat -b \$BOOTSTRAP -Q -t $T:0:-1 -t $T:0:-2"
