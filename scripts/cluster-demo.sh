#!/usr/bin/env bash
# The whole Autonoma cluster on one machine, as real processes on loopback — the topology of
# deploy/compose.yaml without Docker: nginx (deploy/nginx/nginx.conf) → 2 `autonoma serve` replicas,
# 2 `autonoma worker` pools, PostgreSQL and Redis, with the fixture model and a loopback effect server.
# It creates runs through nginx, SIGKILLs a worker meanwhile, waits for every run and prints where
# each process serves its metrics. npm test runs the full scenario (packages/platform/test/cluster).
#
#   scripts/cluster-demo.sh [--runs N] [--keep]
#
# Needs: PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; a fresh database is
# created and dropped), and nginx, redis-server and promtool on PATH (Debian: nginx, redis-server,
# prometheus). See docs/operations.md, "The cluster on loopback".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
for tool in nginx redis-server; do
  if ! command -v "$tool" >/dev/null; then
    echo "cluster-demo: $tool is not installed (apt-get install $tool)" >&2
    exit 1
  fi
done
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
exec node packages/platform/test/cluster/cluster-demo.ts "$@"
