#!/usr/bin/env bash
# Runs Fluxgate's tests against real services: makes sure PostgreSQL, NATS JetStream, Redis and RabbitMQ are
# running on loopback (installing them with apt on Debian/Ubuntu where missing, starting them where stopped),
# then runs Maven. Extra arguments go to Maven, e.g. scripts/test.sh -Dtest=NatsEventStoreTest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh

ensure_postgres
ensure_nats
ensure_redis
ensure_rabbitmq

exec mvn -B -ntp install "$@"
