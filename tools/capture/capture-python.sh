#!/usr/bin/env bash
# confluent-kafka-python scenarios; uses the venv made by scripts/install-compat.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${1:-$here/../../test/fixtures/golden}"
PY="${SAMSA_PYTHON:-${SAMSA_CACHE:-$HOME/.cache/samsa}/venv/bin/python}"
ver="$("$PY" -c 'import confluent_kafka as c; print(c.version() + "-librdkafka-" + c.libversion()[0])')"
export CAPTURE_CLIENT=confluent-kafka-python CAPTURE_CLIENT_VERSION="${ver/-librdkafka-/ (librdkafka })"
scen="${SCENARIOS:-$("$PY" "$here/python/capture.py" | sed 's/^scenarios: //')}"
for s in $scen; do
  "$here/run-scenario.sh" "$root/confluent-kafka-python-$ver${FOLDER_SUFFIX:-}/$s" -- "$PY" "$here/python/capture.py" "$s" || echo "FAILED: $s" >&2
done
