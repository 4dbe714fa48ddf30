#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft: broker and controller in one JVM) for the tests, CI and the Kafka benches,
# resolved from Maven Central with Maven (ci/kafka/pom.xml) and run with Java 17; nothing else is downloaded.
#
#   ci/kafka/broker.sh start    resolve the jars (cached), write server.properties, format the storage, start the
#                               broker, wait until it answers; prints the bootstrap servers (host:port) on stdout
#   ci/kafka/broker.sh stop     stop it and delete its data and logs
#   ci/kafka/broker.sh status   exit 0 and print the bootstrap servers if it runs
#
# Environment: KAFKA_VERSION (default below), KAFKA_PORT (default 19092; the controller listens on the next port),
# KAFKA_STATE_DIR (data, logs, pid; default ${TMPDIR:-/tmp}/escrow-kafka-<port>), KAFKA_HEAP (default 512m),
# KAFKA_LIB_CACHE (where the resolved jars are kept; default ~/.cache/escrow-kafka).
#
# Topics are never created automatically (auto.create.topics.enable=false, as in production): the product's own
# `escrow kafka create-topics` creates them.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# 4.x: kafkajs 2.2.4 negotiates protocol versions that KIP-896 kept (4.1.1 and 4.4.0 tried; see docs/scaling.md)
version="${KAFKA_VERSION:-4.4.0}"
port="${KAFKA_PORT:-19092}"
controller_port="$((port + 1))"
state="${KAFKA_STATE_DIR:-${TMPDIR:-/tmp}/escrow-kafka-${port}}"
heap="${KAFKA_HEAP:-512m}"
cache="${KAFKA_LIB_CACHE:-${HOME:-/tmp}/.cache/escrow-kafka}"
libs="$cache/$version/libs"
bootstrap="127.0.0.1:${port}"

log() { echo "kafka broker: $*" >&2; }

running() { [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }

resolve() {
  [ -f "$libs/.complete" ] && return 0
  command -v mvn >/dev/null || { log "Maven (mvn) is needed to resolve Apache Kafka $version"; exit 1; }
  log "resolving org.apache.kafka:kafka_2.13:$version with Maven into $libs"
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -Dkafka.version="$version" -DoutputDirectory="$libs" >&2
  touch "$libs/.complete"
}

java_opts=(-Xms128m -Xmx"$heap" -XX:+UseSerialGC -Djava.awt.headless=true
  -Dorg.slf4j.simpleLogger.defaultLogLevel="${KAFKA_LOG_LEVEL:-info}" -Dorg.slf4j.simpleLogger.showDateTime=true
  -cp "$libs/*")

java_run() { java "${java_opts[@]}" "$@"; }

write_properties() {
  cat >"$state/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${state}/data
# as in production: topics exist only once \`escrow kafka create-topics\` made them
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# one broker: internal topics with replication factor 1, few partitions (quick to create on a 2-core machine)
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=2
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# a test's first consumer joins at once (production's 3 s delay only batches joins of a starting fleet)
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
# small segments: the tests' topics stay small on disk
log.segment.bytes=1048576
log.retention.check.interval.ms=60000
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
EOF
}

start() {
  if running; then
    log "already running (pid $(cat "$state/pid")) at $bootstrap"
    echo "$bootstrap"
    return 0
  fi
  command -v java >/dev/null || { log "Java 17 is needed"; exit 1; }
  if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
    log "port $port is taken by another process; set KAFKA_PORT"
    exit 1
  fi
  resolve
  rm -rf "$state"
  mkdir -p "$state/data"
  write_properties
  local cluster_id
  cluster_id="$(java_run kafka.tools.StorageTool random-uuid 2>>"$state/format.log" | tail -n 1)"
  java_run kafka.tools.StorageTool format -t "$cluster_id" -c "$state/server.properties" \
    >>"$state/format.log" 2>&1 || { log "formatting the storage failed:"; cat "$state/format.log" >&2; exit 1; }
  log "starting Apache Kafka $version (KRaft, one node) at $bootstrap; log $state/broker.log"
  nohup java "${java_opts[@]}" kafka.Kafka "$state/server.properties" >"$state/broker.log" 2>&1 </dev/null &
  echo $! >"$state/pid"
  for _ in $(seq 1 240); do
    if ! running; then
      log "the broker exited while starting:"
      tail -n 40 "$state/broker.log" >&2
      exit 1
    fi
    if grep -q 'Kafka Server started' "$state/broker.log" && (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      log "ready (pid $(cat "$state/pid"))"
      echo "$bootstrap"
      return 0
    fi
    sleep 0.25
  done
  log "no answer within 60 s:"
  tail -n 40 "$state/broker.log" >&2
  stop
  exit 1
}

stop() {
  if running; then
    local pid
    pid="$(cat "$state/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped (pid $pid)"
  fi
  rm -rf "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running && echo "$bootstrap" ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
