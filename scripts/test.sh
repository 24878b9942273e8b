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
# lines (the test macros record them).
swift build --build-tests --disable-default-traits -debug-info-format none
# Every fuzz target, built normally, replays its seed corpus (the inputs that once found bugs included): a quick
# regression check. Fuzzing for real (libFuzzer + AddressSanitizer, an instrumented build of its own that would
# double this command's time) is `bash scripts/fuzz.sh 600`; FUZZ_SECONDS=N runs it here too, N seconds a target.
for corpus in Fuzz/corpus/*/; do
  target=$(basename "$corpus")
  ".build/debug/fuzz-$target" "$corpus"* >/dev/null || { echo "fuzz-$target: its corpus replay failed" >&2; exit 1; }
done
echo "fuzz targets: every seed corpus replays cleanly"
if [ -n "${FUZZ_SECONDS:-}" ]; then bash scripts/fuzz.sh "$FUZZ_SECONDS"; fi
# The tests run one at a time (--no-parallel, about a minute): every Redis connection of the process shares the
# event loops, so tests that put load on them (killed servers, 10k concurrent commands) would otherwise make the
# timing checks of the tests beside them measure the machine instead of the code. The chaos suite (Redis killed,
# frozen, paused under load) runs last, on its own. Each run is bounded, so that a hang fails CI clearly.
run_tests() {
  local status=0
  timeout --kill-after=10 600 swift test --skip-build --no-parallel "$@" || status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "the test run did not finish within 600 s: a test hangs" >&2
    # `timeout` ends `swift test`, but the test binary runs in a process group of its own: end it and its servers.
    for pid in $(pgrep -f 'swift-redis-sessionsPackageTests\.xctest' || true); do
      pkill -KILL -P "$pid" || true
      kill -KILL "$pid" 2>/dev/null || true
    done
  fi
  return "$status"
}
if [ $# -gt 0 ]; then
  run_tests "$@"
else
  run_tests --skip ChaosTests
  run_tests --filter ChaosTests
fi
