#!/usr/bin/env bash
# Record one scenario: start kafka-tap in front of the running broker, run a client
# command against the tap, then stop the tap and check the index is complete.
#
#   tools/capture/run-scenario.sh OUT_DIR -- command args...
#
# The command sees $BOOTSTRAP (= 127.0.0.1:$TAP_PORT). The broker must have been started
# with KAFKA_ADVERTISED=127.0.0.1:$TAP_PORT so that clients reconnect through the tap.
# Env: TAP_PORT (default 19093), KAFKA_VERSION / KAFKA_RUN_DIR as for kafka-broker.sh,
#      KAFKA_TAP (default /work/shared/tools/kafka-tap.mjs, or ../shared/tools relative to repo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"; shift
[[ "${1:-}" == "--" ]] && shift
TAP_PORT="${TAP_PORT:-19093}"
TAP="${KAFKA_TAP:-}"
if [[ -z "$TAP" ]]; then
  for c in /work/shared/tools/kafka-tap.mjs "$here/../../../shared/tools/kafka-tap.mjs"; do
    [[ -f "$c" ]] && { TAP="$c"; break; }
  done
fi
[[ -f "$TAP" ]] || { echo "run-scenario.sh: kafka-tap.mjs not found (set KAFKA_TAP)" >&2; exit 1; }
status="$("$here/kafka-broker.sh" status)"
[[ "$status" == running* ]] || { echo "run-scenario.sh: broker not running" >&2; exit 1; }
bport="${status#running }"
rm -rf "$out"; mkdir -p "$out"
node "$TAP" --listen "127.0.0.1:$TAP_PORT" --upstream "127.0.0.1:$bport" --out "$out" >/dev/null &
tap=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$TAP_PORT") 2>/dev/null && break; sleep 0.1; done
export BOOTSTRAP="127.0.0.1:$TAP_PORT"
rc=0
"$@" || rc=$?
sleep 1.5   # let the tap finish writing frames of connections that just closed
kill -TERM "$tap" 2>/dev/null || true
wait "$tap" 2>/dev/null || true
frames=$(find "$out" -name '*.bin' | wc -l)
lines=$(wc -l <"$out/index.jsonl")
if [[ "$frames" != "$lines" ]]; then echo "run-scenario.sh: WARNING $out: $frames frames but $lines index lines" >&2; fi
cmd="${CAPTURE_COMMAND:-$*}"; repo="$(cd "$here/../.." && pwd)"; cmd="${cmd//$repo\//}"; cmd="${cmd//$HOME/\~}"
bver="$(KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}" "$here/kafka-broker.sh" version 2>/dev/null || echo "${KAFKA_VERSION:-3.9.1}")"
node -e 'const [out, client, cver, bver, rc, cmd] = process.argv.slice(1);
require("fs").writeFileSync(out + "/capture.json", JSON.stringify({ client, clientVersion: cver, brokerVersion: bver,
  date: new Date().toISOString().slice(0, 10), clientExitCode: Number(rc), command: cmd }, null, 1) + "\n");' \
  "$out" "${CAPTURE_CLIENT:-unknown}" "${CAPTURE_CLIENT_VERSION:-unknown}" "$bver" "$rc" "$cmd"
echo "run-scenario.sh: $out: $frames frames, client rc=$rc" >&2
exit "$rc"
