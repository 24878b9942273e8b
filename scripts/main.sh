#!/usr/bin/env bash
# The main job: release build, the client and store benches, then the demo topology (3 servers behind HAProxy) and its HTTP bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh
swift build -c release --product session-bench
bench=.build/release/session-bench
redis_args=()
[ -n "${REDIS_URL:-}" ] && redis_args=(--redis "$REDIS_URL")
echo "== session-bench redis --workload get (64 tasks, 8 connections)"
"$bench" redis "${redis_args[@]}" --workload get --concurrency 64 --connections 8 --duration "${BENCH_DURATION:-10s}"
echo
echo "== compared with redis-benchmark on one throwaway server (median of 3 rounds)"
if [ -x ../shared/tools/compare-with-redis-benchmark ]; then
  ../shared/tools/compare-with-redis-benchmark "$bench" redis --workload get --connections 8
fi
echo
echo "== session-bench store --workload mixed (10k sessions, 200-byte payload)"
"$bench" store "${redis_args[@]}" --workload mixed --sessions 10000 --payload-bytes 200 --duration "${BENCH_DURATION:-10s}"
echo
echo "== session-bench store --workload load, compared with redis-benchmark GET"
if [ -x ../shared/tools/compare-with-redis-benchmark ]; then
  ../shared/tools/compare-with-redis-benchmark "$bench" store --workload load --sessions 10000
fi
echo
echo "== the demo topology: redis-server, 3 session-servers, HAProxy with TLS; session-bench http (${BENCH_USERS:-200} users)"
bash scripts/topology.sh bench
echo
echo "== bearer tokens through the demo topology: token journeys, then GET /api/me (bearer) against GET /ping and refresh against GET /me"
bash scripts/topology.sh bench --workload tokens
