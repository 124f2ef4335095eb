#!/usr/bin/env bash
# Installs the Java toolchain of the java/ build (JDK 17 and Maven from
# Debian) when it is missing, and fetches the Maven dependencies of the
# default reactor (the bridge) from Maven Central into ~/.m2.
#
# dependency:go-offline misses the test providers that surefire and
# failsafe resolve at run time, so scripts/test.d/30-java.sh runs Maven
# online and fetches those few artifacts on its first run.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v javac >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven
fi

java_major=$(javac -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')
if [ "${java_major:-0}" -lt 17 ]; then
  echo "error: javac ${java_major} is too old; the java/ build needs JDK 17 or newer" >&2
  exit 1
fi

mvn -B -q -f java/pom.xml dependency:go-offline
