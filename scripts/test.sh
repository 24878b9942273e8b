#!/usr/bin/env bash
# The test command: installs missing system packages, then runs every test suite against real redis-server processes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh
# The compose file must parse (there is no Docker engine here: `config -q` validates without one) and the shell
# scripts must at least parse. The shared HAProxy config is exercised for real by the end-to-end tests.
for profile in "" "--profile bench" "--profile sentinel" "--profile cluster"; do
  # shellcheck disable=SC2086  # the profile option is two words, or none
  SESSION_SECRET=validate-only-0123456789abcdef0123 SESSION_DEMO_PASSWORD=validate-only docker-compose $profile config -q
done
for script in scripts/*.sh .ci/run; do bash -n "$script"; done
# Without the default OTLPExport trait: no test exports spans, and swift-otel with swift-protobuf would add about a
# minute of cold build (67 s of CPU; the spans themselves are tested with an in-memory tracer; README "Tracing").
# No debug information (-debug-info-format none): less to emit and link, and test failures still name their source
# lines (the test macros record them). Each module is compiled whole (-wmo, still unoptimised, -num-threads 2 for
# one object per file as the build plan expects): a batch-mode debug build type-checks every module's declarations
# again in each job, and on this 2-core machine the whole-module build took 18.6 min of CPU instead of 22.5.
swift build --build-tests --disable-default-traits -debug-info-format none -Xswiftc -wmo -Xswiftc -num-threads -Xswiftc 2 \
  2> >(grep --line-buffered -v "ignoring '-enable-batch-mode' because '-whole-module-optimization' was also specified" >&2)
# Every fuzz target, built normally, replays its seed corpus (the inputs that once found bugs included): a quick
# regression check. Fuzzing for real (libFuzzer + AddressSanitizer, an instrumented build of its own that would
# double this command's time) is `bash scripts/fuzz.sh 600`; FUZZ_SECONDS=N runs it here too, N seconds a target.
for corpus in Fuzz/corpus/*/; do
  target=$(basename "$corpus")
  ".build/debug/fuzz-$target" "$corpus"* >/dev/null || { echo "fuzz-$target: its corpus replay failed" >&2; exit 1; }
done
echo "fuzz targets: every seed corpus replays cleanly"
if [ -n "${FUZZ_SECONDS:-}" ]; then bash scripts/fuzz.sh "$FUZZ_SECONDS"; fi
# Each test process runs its tests one at a time (--no-parallel): every Redis connection of a process shares its
# event loops, so tests that put load on them (killed servers, 10k concurrent commands) would otherwise make the
# timing checks of the tests beside them measure the machine instead of the code. Three processes run side by side:
# the client and end-to-end suites (failovers, topologies), the chaos suites (Redis killed, frozen, paused, migrated
# under load), and the rest (stores, frameworks, server). Each takes about 130 s; most of their time is spent waiting
# for Redis to expire, fail over or settle, not on the CPU (the three together kept this 2-core machine about 66%
# busy in a measured run). Each run is bounded, so that a hang fails CI clearly.
tests=.build/debug/swift-redis-sessionsPackageTests.xctest
runs=()
# Stops a test binary: first the binary (so that it starts no more servers), then the servers it started.
stop_run() {
  kill -STOP "$1" 2>/dev/null || true
  pkill -KILL -P "$1" || true
  kill -KILL "$1" 2>/dev/null || true
}
# Starts the test binary in the background with these arguments, and a watchdog that stops it after 600 s.
start_run() {
  "$tests" --testing-library swift-testing --no-parallel "$@" &
  local pid=$!
  runs+=("$pid")
  (
    if ! timeout 600 tail -s 0.2 --pid="$pid" -f /dev/null; then
      echo "the test run did not finish within 600 s: a test hangs" >&2
      stop_run "$pid"
    fi
  ) &
}
# Interrupted (Ctrl-C, a CI timeout): no test binary or server is left running.
trap 'for pid in "${runs[@]}"; do stop_run "$pid"; done; exit 130' INT TERM
status=0
if [ $# -gt 0 ]; then
  start_run "$@"
  wait "${runs[0]}" || status=$?
else
  client_log=$(mktemp)
  chaos_log=$(mktemp)
  trap 'rm -f "$client_log" "$chaos_log"' EXIT
  start_run --filter "HiredisClientTests|EndToEndTests" --skip ChaosTests >"$client_log" 2>&1
  start_run --filter ChaosTests >"$chaos_log" 2>&1
  echo "--- the store, framework, server and bench suites (the client, end-to-end and chaos suites run beside them) ---"
  start_run --skip "HiredisClientTests|EndToEndTests"
  for pid in "${runs[@]}"; do wait "$pid" || status=$?; done
  echo "--- the client and end-to-end suites ---"
  cat "$client_log"
  echo "--- the chaos suites ---"
  cat "$chaos_log"
fi
exit "$status"
