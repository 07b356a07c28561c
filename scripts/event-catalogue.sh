#!/usr/bin/env bash
# Rewrites the captured examples of docs/events.md: runs a node per event store, drives it with `fluxgate e2e`,
# reads the events back with each store's own client and writes one example per operation and store.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh

ensure_nats
ensure_redis
ensure_rabbitmq

exec mvn -B -ntp -pl verticles -am test -Dtest=EventCatalogueTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dcatalogue.write=true "$@"
