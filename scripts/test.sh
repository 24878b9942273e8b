#!/usr/bin/env bash
# The test command: installs missing system packages, then runs every test suite against real redis-server processes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh
# The compose file must parse (there is no Docker engine here: `config -q` validates without one) and the shell
# scripts must at least parse. The shared HAProxy config is exercised for real by the end-to-end tests.
SESSION_SECRET=validate-only-0123456789abcdef0123 SESSION_DEMO_PASSWORD=validate-only docker-compose config -q
for script in scripts/*.sh .ci/run; do bash -n "$script"; done
swift build --build-tests
# The suite takes seconds. A rare hang (every task suspended, no timer armed; seen once in about ten full
# clean-clone runs, under investigation) must not stall CI: bound each run and try a second time, loudly.
for attempt in 1 2; do
  status=0
  timeout --kill-after=10 300 swift test --skip-build "$@" || status=$?
  [ "$status" -eq 0 ] && exit 0
  if [ "$status" -ne 124 ] && [ "$status" -ne 137 ]; then exit "$status"; fi
  echo "test run $attempt did not finish within 300 s (known intermittent hang); retrying once" >&2
done
exit 1
