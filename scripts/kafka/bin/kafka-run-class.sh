#!/usr/bin/env sh
# KAFKA_BIN-style wrapper: kafka-run-class.sh <main class> [args...] with the Maven-resolved Kafka classpath.
exec node "$(dirname "$0")/../kafka.mjs" run-class "$@"
