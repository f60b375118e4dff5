#!/usr/bin/env bash
# Fetch org.apache.kafka:kafka-clients:VERSION (+ runtime deps and an slf4j binding) into
# $SAMSA_CACHE/kafka-clients-VERSION/libs and print that dir. Idempotent.
set -euo pipefail
ver="${1:?usage: fetch-java-clients.sh VERSION}"
cache="${SAMSA_CACHE:-$HOME/.cache/samsa}"
libs="$cache/kafka-clients-$ver/libs"
if [[ -f "$libs/.complete" ]]; then echo "$libs"; exit 0; fi
command -v mvn >/dev/null || { echo "fetch-java-clients.sh: mvn not found" >&2; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>samsa.capture</groupId><artifactId>kafka-clients-fetch</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$ver</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
mkdir -p "$libs"
if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime >"$work/mvn.log" 2>&1; then
  tail -30 "$work/mvn.log" >&2; echo "fetch-java-clients.sh: mvn failed for kafka-clients:$ver" >&2; exit 1
fi
ls "$libs"/kafka-clients-*.jar >/dev/null
touch "$libs/.complete"
echo "$libs"
