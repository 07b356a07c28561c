#!/usr/bin/env bash
# Runs the MQTT load tool against Fluxgate and against the local Mosquitto in the same run, scenario by scenario,
# and prints both results. Build first: mvn -q -DskipTests install
# Usage: benchmarks/mqtt-compare.sh [seconds-per-scenario=20] [idle-connections=19900]
# SCENARIOS="qos0 rate qos1 idle connect" picks scenarios (connect: CONNECTS clients, CONNECT_INFLIGHT awaiting
# CONNACK at a time, closed loop, CONNECT_WARMUP unmeasured rounds, then CONNECT_ROUNDS rounds per broker); FLUXGATE_JVM and FG_* variables pass through to the node; JAR picks another build
# of the node (to compare two builds against Mosquitto in one sitting).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-20}
IDLE=${2:-19900}
SCENARIOS=${SCENARIOS:-qos0 rate qos1 idle connect}
CONNECTS=${CONNECTS:-12000}
CONNECT_INFLIGHT=${CONNECT_INFLIGHT:-200}
CONNECT_WARMUP=${CONNECT_WARMUP:-8}
CONNECT_ROUNDS=${CONNECT_ROUNDS:-3}
JAR=${JAR:-verticles/target/fluxgate.jar}
LOAD="java -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar io.fluxgate.bench.MqttLoad"
MOSQUITTO_PID=$(cat /run/mosquitto/mosquitto.pid)
WORK=$(mktemp -d)
USERS_PORT=19002; THINGS_PORT=19000; MQTT_PORT=18830

# A broker's heap is pre-touched, as in production, so first-touch page faults are not billed to messages.
FG_ROLES=users,things,mqtt FG_DATA_DIR="$WORK" FG_NODE_HOST=127.0.0.1 FG_METRICS_ENABLED=false \
FG_USERS_HTTP_PORT=$USERS_PORT FG_THINGS_HTTP_PORT=$THINGS_PORT FG_MQTT_PORT=$MQTT_PORT FG_MQTT_WS_PORT=-1 \
FG_BOOTSTRAP_HTTP_PORT=0 FG_HTTP_ADAPTER_PORT=0 FG_ES_READ_EVENTS=false \
FG_USERS_ADMIN_IDENTITY=admin@example.com FG_USERS_ADMIN_SECRET=admin-secret-1 \
  java ${FLUXGATE_JVM:--Xms1g -Xmx1g -XX:+AlwaysPreTouch} -jar "$JAR" serve > "$WORK/fluxgate.log" 2>&1 &
FG_PID=$!
trap 'kill $FG_PID 2>/dev/null; wait $FG_PID 2>/dev/null; cp "$WORK/fluxgate.log" /tmp/mqtt-compare-fluxgate.log; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do grep -q "MQTT on" "$WORK/fluxgate.log" && break; sleep 1; done
grep -E "started|MQTT on" "$WORK/fluxgate.log"
FG="--port $MQTT_PORT --broker-pid $FG_PID --fluxgate http://127.0.0.1:$USERS_PORT --things-url http://127.0.0.1:$THINGS_PORT --label fluxgate"
MQ="--port 1883 --broker-pid $MOSQUITTO_PID --label mosquitto"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -1)"
wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }
# Live heap of the node after a full GC, in KiB.
live_heap() { jcmd "$FG_PID" GC.run > /dev/null; jcmd "$FG_PID" GC.heap_info | awk '/used/ {sub("K", "", $6); print $6; exit}'; }

if wants qos0; then
  echo "== QoS 0, 4 publishers -> 1 subscriber, 100 B, flat out"
  $LOAD $FG --qos 0 --publishers 4 --subscribers 1 --payload 100 --duration "$SECONDS_PER"
  $LOAD $MQ --qos 0 --publishers 4 --subscribers 1 --payload 100 --duration "$SECONDS_PER"
fi
if wants rate; then
  echo "== QoS 0, 4 publishers -> 1 subscriber, 100 B, 20 000 msg/s"
  $LOAD $FG --qos 0 --publishers 4 --subscribers 1 --payload 100 --rate 20000 --duration "$SECONDS_PER"
  $LOAD $MQ --qos 0 --publishers 4 --subscribers 1 --payload 100 --rate 20000 --duration "$SECONDS_PER"
fi
if wants qos1; then
  echo "== QoS 1, 4 publishers -> 1 subscriber, 100 B, flat out"
  $LOAD $FG --qos 1 --publishers 4 --subscribers 1 --payload 100 --window 100 --duration "$SECONDS_PER"
  $LOAD $MQ --qos 1 --publishers 4 --subscribers 1 --payload 100 --window 100 --duration "$SECONDS_PER"
fi
if wants idle && [ "$IDLE" -gt 0 ]; then
  echo "== $IDLE idle authenticated connections, 3 000/s offered (after 2 000 opened and closed to warm up)"
  # Memory an open connection holds: the node's live heap with them open minus after they closed, both after a
  # full GC, so what the node keeps anyway (compiled code, the event log's cache of their events) is not counted.
  OUT="$WORK/idle.out"
  $LOAD $FG --idle "$IDLE" --connect-rate 3000 --publishers 0 --hold 20 > "$OUT" 2>&1 &
  TOOL=$!
  for _ in $(seq 1 120); do grep -q "idle:" "$OUT" && break; sleep 1; done
  HELD=$(live_heap)
  wait $TOOL || true
  sleep 2
  CLOSED=$(live_heap)
  cat "$OUT"
  CONNECTED=$(grep -o "idle: [0-9]*" "$OUT" | grep -o "[0-9]*")
  echo "fluxgate live heap after full GC: $((HELD / 1024)) MiB with the connections open, $((CLOSED / 1024)) MiB after" \
    "they closed = $(awk -v h="$HELD" -v c="$CLOSED" -v n="$CONNECTED" 'BEGIN {printf "%.2f", (h - c) / n}') KiB per connection"
  $LOAD $MQ --idle "$IDLE" --connect-rate 3000 --publishers 0 --hold 2
fi
if wants connect; then
  # The JIT needs about 100 000 connects before a node's cost per connect settles (376 us on the first 12 000,
  # 87 us by the eighth round): unmeasured rounds first, then the brokers take turns so both meet the same load.
  echo "== $CONNECTS clients CONNECT with credentials, $CONNECT_INFLIGHT awaiting CONNACK at a time (closed loop)," \
    "after $CONNECT_WARMUP unmeasured rounds; $CONNECT_ROUNDS rounds each, taking turns"
  for _ in $(seq 1 "$CONNECT_WARMUP"); do
    $LOAD $FG --connect-clients "$CONNECTS" --connect-inflight "$CONNECT_INFLIGHT" --publishers 0 --idle-warmup 0 > /dev/null
  done
  for _ in $(seq 1 "$CONNECT_ROUNDS"); do
    $LOAD $FG --connect-clients "$CONNECTS" --connect-inflight "$CONNECT_INFLIGHT" --publishers 0 --idle-warmup 0
    $LOAD $MQ --connect-clients "$CONNECTS" --connect-inflight "$CONNECT_INFLIGHT" --publishers 0 --idle-warmup 0
  done
fi
