#!/usr/bin/env bash
# Scale-out: the same list fetched by one `gather fetch` and by three
# `gather work` processes sharing a job on a local NATS JetStream server
# (built from the nats-server module gather's tests use), collected into one
# file. Two workloads: fast 1 KiB JSON bodies (bound by CPU: what the queue
# costs) and 20 ms responses (bound by latency: what more workers buy).
# All on loopback; every loop is bounded.
OUT=${OUT:-$(cd "$(dirname "$0")" && pwd)/out/distributed}
source "$(dirname "$0")/lib.sh"
N=${N:-20000}
C=${C:-100}
WORKERS=${WORKERS:-3}
command -v curl >/dev/null && [ -x /usr/bin/time ] || { apt-get update -qq >/dev/null; apt-get install -y -qq curl time >/dev/null; }
build
# NATS_SERVER=/usr/sbin/nats-server (say) runs another build, such as Debian's.
if [ -n "${NATS_SERVER:-}" ]; then cp "$NATS_SERVER" "$OUT/nats-server"; else
  (cd "$ROOT" && go build -o "$OUT/nats-server" github.com/nats-io/nats-server/v2); fi
start_target
NATS_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rm -rf "$OUT/nats-store"
"$OUT/nats-server" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$OUT/nats-store" >"$OUT/nats.log" 2>&1 &
NATS_PID=$!
trap 'kill $TARGET_PID $NATS_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "Server is ready" "$OUT/nats.log" && break; sleep 0.1; done
NATS="nats://127.0.0.1:$NATS_PORT"
rm -f "$OUT/results.txt" "$OUT/stderr.txt"

url_list "$N" /json "$OUT/fast.txt"
url_list "$N" /delay/20 "$OUT/slow.txt"

# fleet NAME LIST JOB: submit, then time WORKERS workers and a collect.
fleet() {
  local name=$1 list=$2 job=$3
  local start end pids=()
  start=$(date +%s.%N)
  "$OUT/gather" submit --nats "$NATS" --job "$job" -i "$list" -q
  end=$(date +%s.%N)
  echo "submit-${name#fleet-} $(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }') 0 0 0" >>"$OUT/results.txt"
  start=$(date +%s.%N)
  for _ in $(seq "$WORKERS"); do
    "$OUT/gather" work --nats "$NATS" --job "$job" -c "$C" -q &
    pids+=($!)
  done
  "$OUT/gather" collect --nats "$NATS" --job "$job" -o "$OUT/collected.jsonl" --force -q || true
  wait "${pids[@]}"
  end=$(date +%s.%N)
  [ "$(wc -l <"$OUT/collected.jsonl")" -eq "$N" ] || { echo "collect: $(wc -l <"$OUT/collected.jsonl") records, want $N" >&2; exit 1; }
  echo "$name $(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }') 0 0 0" >>"$OUT/results.txt"
}

for r in $(seq "$ROUNDS"); do
  for w in fast slow; do
    measure "fetch-$w" "$OUT/gather" fetch -i "$OUT/$w.txt" -o "$OUT/records.jsonl" --force -c "$C" -q
    measure "fetch3c-$w" "$OUT/gather" fetch -i "$OUT/$w.txt" -o "$OUT/records.jsonl" --force -c $((C * WORKERS)) -q
    fleet "fleet-$w" "$OUT/$w.txt" "bench-$w-$r"
  done
done

machine
echo "N=$N, $WORKERS workers of -c $C, nats-server $("$OUT/nats-server" --version | awk '{print $NF}'); medians of $ROUNDS rounds"
printf '%-42s %8s %9s %9s\n' run wall_s req/s "× fetch"
for w in fast slow; do
  base=$(median "fetch-$w" 2)
  for t in "fetch-$w:gather fetch -c $C" "fetch3c-$w:gather fetch -c $((C * WORKERS))" "fleet-$w:$WORKERS × gather work -c $C + collect"; do
    key=${t%%:*} label="$w: ${t#*:}"
    awk -v l="$label" -v s="$(median "$key" 2)" -v n="$N" -v b="$base" 'BEGIN { printf "%-42s %8.2f %9.0f %9.2f\n", l, s, n/s, b/s }'
  done
  awk -v l="$w: gather submit (before the fleet)" -v s="$(median "submit-$w" 2)" -v n="$N" 'BEGIN { printf "%-42s %8.2f %9.0f\n", l, s, n/s }'
done
