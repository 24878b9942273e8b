#!/usr/bin/env bash
# Fuzzes everything that parses untrusted input with libFuzzer (AddressSanitizer on): the Cookie header scanner,
# token parsing, access-token (JWT) verification, the CSRF token check's input, the form-field reader, the
# X-Forwarded-For walk with its IP/CIDR parsers, the packed-metadata decoder, the Redis reply reader
# (bytes → hiredis → RedisReply) and Redis URL parsing.
# Usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]   (default 10 s each, every target)
# Each target starts from its corpus in Fuzz/corpus/<name> (new inputs it finds go to .build-fuzz/corpus/<name>);
# a crash leaves its input in .build-fuzz/artifacts/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
# libFuzzer reads -max_total_time=0 as "no limit": insist on a positive whole number.
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…] (got '$seconds')" >&2; exit 2; }
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cookie-header session-token csrf-token access-token form-fields forwarded-for packed-metadata redis-reply redis-url)
# -DFUZZING turns each target's entry point into libFuzzer's driver; lld links what gold cannot.
flags=(-c release --build-path .build-fuzz -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address
       -Xswiftc -parse-as-library -Xswiftc -use-ld=lld)
for target in "${targets[@]}"; do swift build "${flags[@]}" --product "fuzz-$target" >&2; done
mkdir -p .build-fuzz/artifacts
for target in "${targets[@]}"; do
  mkdir -p ".build-fuzz/corpus/$target"
  echo "fuzzing $target for ${seconds}s" >&2
  SWIFT_BACKTRACE=enable=no ".build-fuzz/release/fuzz-$target" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 \
    -artifact_prefix=".build-fuzz/artifacts/$target-" ".build-fuzz/corpus/$target" "Fuzz/corpus/$target" \
    2>".build-fuzz/$target.log" || { tail -40 ".build-fuzz/$target.log" >&2; echo "fuzz-$target FAILED" >&2; exit 1; }
  grep -E "stat::number_of_executed_units|cov: " ".build-fuzz/$target.log" | tail -2 | sed "s/^/$target: /"
done
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash"
