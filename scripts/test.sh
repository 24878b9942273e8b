#!/usr/bin/env bash
# The test command: installs missing system packages, then runs every test suite against real redis-server processes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh
swift build --build-tests
swift test --skip-build "$@"
