#!/usr/bin/env bash
# Runs the client and pool test suites under ThreadSanitizer, then under AddressSanitizer (each in a build folder
# of its own, so that the normal build is left alone). Usage: bash scripts/sanitizers.sh [thread|address]…
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh
sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(thread address)
for sanitizer in "${sanitizers[@]}"; do
  case "$sanitizer" in thread|address) ;; *) echo "unknown sanitizer '$sanitizer' (thread or address)" >&2; exit 2 ;; esac
  echo "== swift test --sanitize=$sanitizer (HiredisClientTests, ConnectionPoolTests)" >&2
  # halt_on_error: the first report fails the run instead of scrolling past; the suppressions file names the one
  # known toolchain false positive (see the file). One test at a time: under the
  # sanitizers' slowdown, the clusters and sentinels some tests start would stretch other tests' timing bounds.
  TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/scripts/tsan-suppressions.txt ${TSAN_OPTIONS:-}" ASAN_OPTIONS="halt_on_error=1 detect_leaks=0 ${ASAN_OPTIONS:-}" \
    swift test --sanitize="$sanitizer" --build-path ".build-$sanitizer" --no-parallel --filter "HiredisClientTests|ConnectionPoolTests"
done
