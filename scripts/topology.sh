#!/usr/bin/env bash
# The demo topology without Docker: Redis, three session-servers and HAProxy (TLS) on free loopback ports, or Redis alone.
#
#   bash scripts/topology.sh bench [--redis MODE] [session-bench http options…]   start it, run the HTTP bench, stop
#       (the http workload is `all` unless given: e.g. `bench --workload tokens` for the bearer-token API, whose
#       refresh grace is session-server's default, 2 s, as the bench's --refresh-grace assumes)
#   bash scripts/topology.sh up [--redis MODE]                                    start it, keep it until Ctrl-C
#   bash scripts/topology.sh store [--redis MODE] [session-bench store options…]  only Redis: the store bench on it
#   bash scripts/topology.sh failover --redis sentinel|cluster [store options…]   only Redis: the store bench (mixed,
#       durable revocation on), a primary killed 2 s into the load; the report's `failover` says when its replica was promoted
#       and how long after that the bench's client was served again
#
# --redis standalone (default): one redis-server with AOF; sentinel: a primary and a replica watched by three
# sentinels (quorum 2, down-after 1 s), the apps on a redis-sentinel:// URL; cluster: a Redis Cluster of three
# primaries with a replica each, the apps on a redis-cluster:// URL.
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
usage="usage: $0 bench|store [--redis standalone|sentinel|cluster] [session-bench options…] | up [--redis …] | failover --redis sentinel|cluster [store options…]"
case "$command" in
  bench|up|store|failover) ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
redis_mode=standalone
rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --redis) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; redis_mode=$2; shift 2 ;;
    --redis=*) redis_mode=${1#--redis=}; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
set -- ${rest[@]+"${rest[@]}"}
case "$redis_mode" in
  standalone|sentinel|cluster) ;;
  *) echo "--redis must be standalone, sentinel or cluster (got '$redis_mode')" >&2; exit 2 ;;
esac
if [ "$command" = failover ] && { [ "$redis_mode" = standalone ] || [ -n "${REDIS_URL:-}" ]; }; then
  echo "failover needs --redis sentinel or cluster (and no REDIS_URL): it kills a primary this script started" >&2
  exit 2
fi

bash scripts/ensure-packages.sh
build=${BUILD:-release}
# Progress goes to stderr, so that `bench --json` prints only the report on stdout.
case "$command" in
  bench|up) swift build -c "$build" --product session-server >&2 ;;
esac
[ "$command" = up ] || swift build -c "$build" --product session-bench >&2
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
read -r haproxy_port port1 port2 port3 r0 r1 r2 r3 r4 r5 s1 s2 s3 b0 b1 b2 b3 b4 b5 < <(python3 - <<'EOF'
import socket
sockets = [socket.socket() for _ in range(19)]
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

declare -A redis_pids=()   # redis-server pid by port
# Starts a redis-server with AOF on a port (more options after it) and waits until it answers.
start_redis() {
  local port=$1
  shift
  mkdir -p "$work/redis-$port"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$work/redis-$port" --appendonly yes --save '' \
    --logfile "$work/redis-$port.log" "$@" &
  pids+=($!)
  redis_pids[$port]=$!   # for the failover command's kill
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server on port $port did not start" >&2
  return 1
}

# Waits (at most ~30 s) until a command's output contains a text: wait_for TEXT COMMAND…
wait_for() {
  local text=$1
  shift
  for _ in $(seq 300); do "$@" 2>/dev/null | grep -q -- "$text" && return 0; sleep 0.1; done
  echo "gave up waiting for '$text' from: $*" >&2
  return 1
}

if [ -n "${REDIS_URL:-}" ]; then
  redis_url=$REDIS_URL
elif [ "$redis_mode" = sentinel ]; then
  start_redis "$r0"
  start_redis "$r1" --replicaof 127.0.0.1 "$r0"
  for port in "$s1" "$s2" "$s3"; do
    # Each sentinel rewrites its own configuration file as it learns the deployment.
    printf 'sentinel monitor mymaster 127.0.0.1 %s 2\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n' \
      "$r0" >"$work/sentinel-$port.conf"
    redis-server "$work/sentinel-$port.conf" --sentinel --bind 127.0.0.1 --port "$port" --dir "$work" \
      --logfile "$work/sentinel-$port.log" &
    pids+=($!)
  done
  wait_for master_link_status:up redis-cli -p "$r1" info replication
  for port in "$s1" "$s2" "$s3"; do
    wait_for "^2$" sh -c "redis-cli -p $port sentinel master mymaster | grep -A1 -x num-other-sentinels | tail -1"
    wait_for "^1$" sh -c "redis-cli -p $port sentinel master mymaster | grep -A1 -x num-slaves | tail -1"
  done
  redis_url="redis-sentinel://127.0.0.1:$s1,127.0.0.1:$s2,127.0.0.1:$s3/mymaster"
  victim=$r0 replica=$r1
elif [ "$redis_mode" = cluster ]; then
  # The cluster bus gets a port of its own: the default (port + 10000) may be out of range for a high free port.
  buses=("$b0" "$b1" "$b2" "$b3" "$b4" "$b5")
  index=0
  for port in "$r0" "$r1" "$r2" "$r3" "$r4" "$r5"; do
    start_redis "$port" --cluster-enabled yes --cluster-config-file "$work/redis-$port/nodes.conf" \
      --cluster-node-timeout 1000 --cluster-port "${buses[$index]}"
    index=$((index + 1))
  done
  redis-cli --cluster create "127.0.0.1:$r0" "127.0.0.1:$r1" "127.0.0.1:$r2" "127.0.0.1:$r3" "127.0.0.1:$r4" \
    "127.0.0.1:$r5" --cluster-replicas 1 --cluster-yes >"$work/cluster-create.log" 2>&1
  for port in "$r0" "$r1" "$r2" "$r3" "$r4" "$r5"; do
    wait_for cluster_state:ok redis-cli -p "$port" cluster info
    # A replica that never synced cannot be promoted (cluster-replica-validity-factor): wait for every link.
    wait_for synced sh -c "redis-cli -p $port info replication | grep -q -e role:master -e master_link_status:up && echo synced"
  done
  redis_url="redis-cluster://127.0.0.1:$r0,127.0.0.1:$r1,127.0.0.1:$r2"
  # The failover victim: the primary on $r0; its replica: the node whose primary id is $r0's.
  victim=$r0
  replica=$(redis-cli -p "$r0" cluster nodes | awk -v id="$(redis-cli -p "$r0" cluster myid)" \
    '$4 == id { split($2, address, "@"); n = split(address[1], parts, ":"); print parts[n] }')
  [ -n "$replica" ] || { echo "the cluster gave the primary on port $r0 no replica" >&2; exit 1; }
else
  start_redis "$r0"
  redis_url="redis://127.0.0.1:$r0"
fi

if [ "$command" = store ]; then
  echo "redis ($redis_mode) $redis_url" >&2
  "$bin/session-bench" store --redis "$redis_url" "$@"
  exit 0
fi
if [ "$command" = failover ]; then
  echo "redis ($redis_mode) $redis_url: killing the primary on port $victim 2 s into the load; watching its replica on $replica" >&2
  # Options given here come after the defaults, and win. The bench says on stderr when its load runs (its sessions
  # are created); the primary is killed 2 s after that.
  "$bin/session-bench" store --redis "$redis_url" --workload mixed --sessions 2000 --duration 12s --durable-revocation \
    --watch-promotion "127.0.0.1:$replica" "$@" 2>"$work/bench.log" &
  bench=$!
  pids+=("$bench")
  wait_for "load started" cat "$work/bench.log"
  sleep 2
  kill -KILL "${redis_pids[$victim]}"
  wait "$bench"
  exit 0
fi

ulimit -n 65536 2>/dev/null || true   # 200 users need ~800 sockets across HAProxy and the servers
# The secret reaches the instances through their environment (the command line is visible to `ps`).
export SESSION_SECRET; SESSION_SECRET=$(openssl rand -hex 32)
export SESSION_DEMO_PASSWORD=${SESSION_DEMO_PASSWORD:-$(openssl rand -hex 12)}
grace=5s
# Each instance runs on session-server's defaults (one event-loop thread per core, Redis on the same loops) and
# believes X-Forwarded-For only from HAProxy (127.0.0.1, the address it connects from);
# SERVER_THREADS=N passes --event-loop-threads N to each, to compare with a tuned thread count.
instance=0
for port in "$port1" "$port2" "$port3"; do
  instance=$((instance + 1))
  "$bin/session-server" --host 127.0.0.1 --port "$port" --redis "$redis_url" \
    --instance-id "app$instance" --renew-grace "$grace" --trusted-proxy 127.0.0.1/32 \
    ${SERVER_THREADS:+--event-loop-threads "$SERVER_THREADS"} \
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

echo "topology up: $url (HAProxy, TLS, self-signed) -> app1 :$port1, app2 :$port2, app3 :$port3; redis ($redis_mode) $redis_url" >&2
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
