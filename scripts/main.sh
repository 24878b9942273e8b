#!/usr/bin/env bash
# The main job: builds in release mode and runs the bench on an embedded redis-server (or on $REDIS_URL).
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
