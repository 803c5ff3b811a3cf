#!/usr/bin/env bash
# Queue soak: N requests with faults on a NATS JetStream job, three workers,
# one of them killed with SIGKILL every 2 seconds and started again, and a
# collect. Checks exactly one record per request. All on loopback.
OUT=${OUT:-$(cd "$(dirname "$0")" && pwd)/out/queue_soak}
source "$(dirname "$0")/lib.sh"
N=${N:-50000}
build
(cd "$ROOT" && go build -o "$OUT/nats-server" github.com/nats-io/nats-server/v2)
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NATS_PORT=$(port); WEB_PORT=$(port)
rm -rf "$OUT/js" "$OUT/out.jsonl"
"$OUT/nats-server" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$OUT/js" >"$OUT/nats.log" 2>&1 &
NATS_PID=$!
"$OUT/gather" serve --addr "127.0.0.1:$WEB_PORT" >"$OUT/serve.log" 2>&1 &
SERVE_PID=$!
pids=()
trap 'kill $NATS_PID $SERVE_PID "${pids[@]}" 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "Server is ready" "$OUT/nats.log" && break; sleep 0.1; done
/usr/bin/python3 - "$N" "$WEB_PORT" >"$OUT/list.txt" <<'PY'
import random, sys
n, port = int(sys.argv[1]), sys.argv[2]
random.seed(7)
base = f"http://127.0.0.1:{port}"
for i in range(n):
    r = random.random()
    if r < 0.90: print(f"{base}/delay/{random.randint(0, 30)}?i={i}")
    elif r < 0.93: print(f"{base}/status/404?i={i}")
    elif r < 0.96: print(f"{base}/flaky/1?i={i}")
    elif r < 0.98: print(f"{base}/reset/1?i={i}")
    elif r < 0.99: print(f"{base}/json?size=3000&i={i}")
    else: print(f"bad line {i}")
PY
J=(--nats "nats://127.0.0.1:$NATS_PORT" --job soak)
work() { "$OUT/gather" work "${J[@]}" -c 50 -q --backoff 10ms --max-backoff 50ms & pids[$1]=$!; }
"$OUT/gather" submit "${J[@]}" -i "$OUT/list.txt" --ack-wait 2s
start=$(date +%s)
"$OUT/gather" collect "${J[@]}" -o "$OUT/out.jsonl" -q &
COLLECT=$!
for k in 0 1 2; do work $k; done
kills=0
for _ in $(seq 300); do # at most 10 minutes
  sleep 2
  kill -0 $COLLECT 2>/dev/null || break
  k=$((RANDOM % 3))
  kill -9 "${pids[$k]}" 2>/dev/null && kills=$((kills + 1))
  work $k
done
wait $COLLECT || true
wait "${pids[@]}" 2>/dev/null || true
/usr/bin/python3 - "$OUT/out.jsonl" "$N" "$kills" "$(($(date +%s) - start))" <<'PY'
import collections, json, sys
path, n, kills, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
seen, kinds = collections.Counter(), collections.Counter()
for line in open(path):
    r = json.loads(line)
    seen[r.get("url") or r.get("input")] += 1
    kinds[(r["error"] or {}).get("kind", "ok")] += 1
ok = len(seen) == n and max(seen.values()) == 1
print(f"{n} requests, {sum(seen.values())} records, {len(seen)} distinct, {kills} workers killed, {secs} s; kinds {dict(kinds)}")
print("one record per request:", "yes" if ok else "NO")
sys.exit(0 if ok else 1)
PY
