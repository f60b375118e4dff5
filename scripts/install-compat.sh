#!/usr/bin/env bash
# Install everything the compatibility tests need, idempotently, on Debian 12 (as root):
#   - apt: kcat (librdkafka 2.0.2), etcd-server, maven, a JDK (javac), python3-venv
#   - confluent-kafka for Python in a venv:      $SAMSA_CACHE/venv
#   - kafkajs (npm) outside the repo:             $SAMSA_CACHE/node/node_modules/kafkajs
#   - Java kafka-clients jars (+deps) via mvn:    $SAMSA_CACHE/kafka-clients-<ver>/libs
#   - Apache Kafka broker jars via mvn:           $SAMSA_CACHE/kafka-<ver>/libs
# and writes $SAMSA_CACHE/env.sh with the paths (source it, or read SAMSA_PYTHON from it).
#
# Env overrides: SAMSA_CACHE (default ~/.cache/samsa), CONFLUENT_KAFKA_VERSION (2.16.1),
#   KAFKAJS_VERSION (2.2.4), JAVA_CLIENT_VERSIONS ("3.9.1 4.1.2"),
#   KAFKA_BROKER_VERSIONS ("3.9.1 4.0.2"), SKIP_KAFKAJS=1, SKIP_BROKER=1.
# Exits non-zero with a message naming the step that failed.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
export SAMSA_CACHE="${SAMSA_CACHE:-$HOME/.cache/samsa}"
CONFLUENT_KAFKA_VERSION="${CONFLUENT_KAFKA_VERSION:-2.16.1}"
KAFKAJS_VERSION="${KAFKAJS_VERSION:-2.2.4}"
JAVA_CLIENT_VERSIONS="${JAVA_CLIENT_VERSIONS:-3.9.1 4.1.2}"
KAFKA_BROKER_VERSIONS="${KAFKA_BROKER_VERSIONS:-3.9.1 4.0.2}"
mkdir -p "$SAMSA_CACHE"
LOG="$SAMSA_CACHE/install-compat.log"
: >"$LOG"

step=""
fail() { echo "install-compat: FAILED at step '$step' (log: $LOG)" >&2; tail -25 "$LOG" >&2 || true; exit 1; }
trap fail ERR
say() { step="$1"; echo "install-compat: $1" >&2; }

SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else echo "install-compat: run as root (or install sudo)" >&2; exit 1; fi
fi

# ---- apt packages -----------------------------------------------------------------------
say "apt packages"
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in kcat etcd-server python3-venv python3-pip maven ca-certificates; do have_pkg "$p" || need+=("$p"); done
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
  echo "install-compat: apt-get install ${need[*]}" >&2
  $SUDO apt-get update -qq >>"$LOG" 2>&1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >>"$LOG" 2>&1
fi
for c in kcat mvn javac java; do command -v "$c" >/dev/null || { echo "install-compat: '$c' missing after apt" >&2; false; }; done

# ---- confluent-kafka (Python) --------------------------------------------------------------
say "confluent-kafka $CONFLUENT_KAFKA_VERSION in $SAMSA_CACHE/venv"
VENV="$SAMSA_CACHE/venv"
PY="$VENV/bin/python"
if ! "$PY" -c "import confluent_kafka, sys; sys.exit(confluent_kafka.version() != '$CONFLUENT_KAFKA_VERSION')" >>"$LOG" 2>&1; then
  base_py=/usr/bin/python3; [[ -x "$base_py" ]] || base_py="$(command -v python3)"
  [[ -x "$PY" ]] || "$base_py" -m venv "$VENV" >>"$LOG" 2>&1
  "$PY" -m pip install -q --disable-pip-version-check "confluent-kafka==$CONFLUENT_KAFKA_VERSION" >>"$LOG" 2>&1
  "$PY" -c "import confluent_kafka" >>"$LOG" 2>&1
fi

# ---- kafkajs (outside the repo; the repo's package.json is not touched) ------------------
if [[ -z "${SKIP_KAFKAJS:-}" ]]; then
  say "kafkajs $KAFKAJS_VERSION in $SAMSA_CACHE/node"
  if command -v npm >/dev/null; then
    if [[ "$(node -p "try{require('$SAMSA_CACHE/node/node_modules/kafkajs/package.json').version}catch(e){''}" 2>/dev/null)" != "$KAFKAJS_VERSION" ]]; then
      mkdir -p "$SAMSA_CACHE/node"
      [[ -f "$SAMSA_CACHE/node/package.json" ]] || echo '{"name":"samsa-compat-clients","private":true}' >"$SAMSA_CACHE/node/package.json"
      (cd "$SAMSA_CACHE/node" && npm install --silent --no-audit --no-fund "kafkajs@$KAFKAJS_VERSION") >>"$LOG" 2>&1
    fi
  else
    echo "install-compat: npm not found; skipping kafkajs" >&2
  fi
fi

# ---- Java kafka-clients jars -----------------------------------------------------------------
for v in $JAVA_CLIENT_VERSIONS; do
  say "Java kafka-clients $v"
  "$repo/tools/capture/fetch-java-clients.sh" "$v" >>"$LOG" 2>&1
done

# ---- Apache Kafka broker jars ------------------------------------------------------------------
if [[ -z "${SKIP_BROKER:-}" ]]; then
  for v in $KAFKA_BROKER_VERSIONS; do
    say "Apache Kafka broker $v"
    KAFKA_VERSION="$v" "$repo/tools/capture/kafka-broker.sh" fetch >>"$LOG" 2>&1
  done
fi

# ---- env file ----------------------------------------------------------------------------------
say "env file"
{
  echo "# written by scripts/install-compat.sh"
  echo "export SAMSA_CACHE='$SAMSA_CACHE'"
  echo "export SAMSA_PYTHON='$PY'"
  echo "export KAFKAJS_DIR='$SAMSA_CACHE/node'"
  for v in $JAVA_CLIENT_VERSIONS; do echo "export SAMSA_KAFKA_CLIENTS_${v//./_}='$SAMSA_CACHE/kafka-clients-$v/libs'"; done
  for v in $KAFKA_BROKER_VERSIONS; do echo "export SAMSA_KAFKA_BROKER_${v//./_}='$SAMSA_CACHE/kafka-$v/libs'"; done
} >"$SAMSA_CACHE/env.sh"

trap - ERR
echo "install-compat: ok. kcat $(kcat -V 2>/dev/null | sed -n 's/^Version \([^ ]*\).*librdkafka \([^ ]*\).*/\1 (librdkafka \2)/p'), confluent-kafka $("$PY" -c 'import confluent_kafka as c; print(c.version(), "(librdkafka", c.libversion()[0] + ")")')"
echo "install-compat: python: $PY"
echo "install-compat: env:    $SAMSA_CACHE/env.sh"
