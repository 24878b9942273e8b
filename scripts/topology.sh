#!/usr/bin/env bash
# The demo topology without Docker: redis-server, three session-servers and HAProxy (TLS) on free loopback ports.
#
#   bash scripts/topology.sh bench [session-bench http options…]   start it, run the HTTP bench, stop everything
#   bash scripts/topology.sh up                                    start it and keep it running until Ctrl-C
#
# Environment: REDIS_URL (use that Redis instead of starting one), BUILD (release|debug, default release),
# SERVER_THREADS (event-loop threads per instance; default: session-server's, one per core),
# BENCH_USERS (200), BENCH_DURATION (20s), SESSION_DEMO_PASSWORD (default: generated), OUT_DIR (where the
# report and the latency chart go, default .build/topology-report). Everything started is stopped on exit,
# Ctrl-C or failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command=${1:-bench}
[ $# -gt 0 ] && shift
case "$command" in
  bench|up) ;;
  *) echo "usage: $0 bench [session-bench http options…] | up" >&2; exit 2 ;;
esac

bash scripts/ensure-packages.sh
build=${BUILD:-release}
# Progress goes to stderr, so that `bench --json` prints only the report on stdout.
swift build -c "$build" --product session-server >&2
[ "$command" = bench ] && swift build -c "$build" --product session-bench >&2
bin=$(swift build -c "$build" --show-bin-path)

work=$(mktemp -d "${TMPDIR:-/tmp}/session-topology.XXXXXX")
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ] && [ "$status" -ne 130 ]; then
    echo "topology failed (exit $status); last log lines:" >&2
    for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $(basename "$log")" >&2; tail -n 5 "$log" >&2; }; done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free loopback ports: bound once by the kernel, then released for the servers (the window is tiny).
read -r redis_port haproxy_port port1 port2 port3 < <(python3 - <<'EOF'
import socket
sockets = [socket.socket() for _ in range(5)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])
for s in sockets: s.close()
EOF
)

# Waits until an HTTP(S) URL answers 200 (at most ~20 s).
wait_ok() {
  python3 - "$1" <<'EOF'
import ssl, sys, time, urllib.request
context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
for _ in range(200):
    try:
        if urllib.request.urlopen(sys.argv[1], timeout=1, context=context).status == 200: sys.exit(0)
    except Exception: time.sleep(0.1)
sys.exit(f"{sys.argv[1]} did not answer 200 in time")
EOF
}

if [ -n "${REDIS_URL:-}" ]; then
  redis_url=$REDIS_URL
else
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work" --appendonly yes --save '' \
    --logfile "$work/redis.log" &
  pids+=($!)
  redis_url="redis://127.0.0.1:$redis_port"
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

ulimit -n 65536 2>/dev/null || true   # 200 users need ~800 sockets across HAProxy and the servers
# The secret reaches the instances through their environment (the command line is visible to `ps`).
export SESSION_SECRET; SESSION_SECRET=$(openssl rand -hex 32)
export SESSION_DEMO_PASSWORD=${SESSION_DEMO_PASSWORD:-$(openssl rand -hex 12)}
grace=5s
# Each instance runs on session-server's defaults (one event-loop thread per core, Redis on the same loops);
# SERVER_THREADS=N passes --event-loop-threads N to each, to compare with a tuned thread count.
instance=0
for port in "$port1" "$port2" "$port3"; do
  instance=$((instance + 1))
  "$bin/session-server" --host 127.0.0.1 --port "$port" --redis "$redis_url" \
    --instance-id "app$instance" --renew-grace "$grace" ${SERVER_THREADS:+--event-loop-threads "$SERVER_THREADS"} \
    >"$work/app$instance.log" 2>&1 &
  pids+=($!)
done
for port in "$port1" "$port2" "$port3"; do wait_ok "http://127.0.0.1:$port/healthz"; done

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" >"$work/haproxy.pem"
export HTTPS_BIND="127.0.0.1:$haproxy_port" CERT_FILE="$work/haproxy.pem"
export SERVER1="127.0.0.1:$port1" SERVER2="127.0.0.1:$port2" SERVER3="127.0.0.1:$port3"
haproxy -c -q -f deploy/haproxy.cfg
haproxy -db -f deploy/haproxy.cfg >"$work/haproxy.log" 2>&1 &
pids+=($!)
url="https://127.0.0.1:$haproxy_port"
wait_ok "$url/ping"
# HAProxy marks a server up after two health checks; wait until all three answer through it.
python3 - "$url" <<'EOF'
import ssl, sys, time, urllib.request
context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
seen = set()
for _ in range(300):
    seen.add(urllib.request.urlopen(sys.argv[1] + "/ping", timeout=1, context=context).headers["X-Instance"])
    if len(seen) == 3: sys.exit(0)
    time.sleep(0.05)
sys.exit(f"only {sorted(seen)} answered through HAProxy")
EOF

echo "topology up: $url (HAProxy, TLS, self-signed) -> app1 :$port1, app2 :$port2, app3 :$port3; redis $redis_url" >&2
if [ "$command" = up ]; then
  echo "demo users: alice and bob, password: $SESSION_DEMO_PASSWORD"
  echo "try: curl -k $url/ping   (Ctrl-C stops everything)"
  sleep infinity & pids+=($!)
  wait $!   # a `wait`, unlike a foreground command, lets the INT/TERM traps run at once
fi

out=${OUT_DIR:-$root/.build/topology-report}
mkdir -p "$out"
"$bin/session-bench" http --url "$url" --insecure --users "${BENCH_USERS:-200}" --duration "${BENCH_DURATION:-20s}" \
  --renew-grace "$grace" --plot "$out/http-latency.svg" "$@"
echo "latency chart: $out/http-latency.svg" >&2
