#!/usr/bin/env bash
# Many hosts: what a list spread over many hosts costs, where idle
# connections and per-host state add up.
#  1. fetch: N URLs over HOSTS hosts (bench/target on HOSTS loopback ports,
#     which a client takes for HOSTS hosts), in random order, at concurrency
#     C: gather against curl --parallel; wall, peak RSS and the most file
#     descriptors open (sampled every 20 ms).
#  2. report: `gather report` over REPORT_HOSTS records, each of its own host:
#     peak RSS.
source "$(dirname "$0")/lib.sh"
N=${N:-30000} HOSTS=${HOSTS:-300} C=${C:-50} REPORT_HOSTS=${REPORT_HOSTS:-100000}
install_peers; build
"$OUT/target" -ports "$HOSTS" >"$OUT/hosts.addr" &
HOSTS_PID=$!
trap 'kill $HOSTS_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ "$(wc -l <"$OUT/hosts.addr")" -ge "$HOSTS" ] && break; sleep 0.1; done
/usr/bin/python3 - "$N" "$OUT/hosts.addr" >"$OUT/hosts-urls.txt" <<'PY'
import random, sys
n, addrs = int(sys.argv[1]), open(sys.argv[2]).read().split()
rnd = random.Random(1)
for i in range(n):
    print(f"http://{rnd.choice(addrs)}/json?i={i}")
PY
awk '{print "url = \"" $0 "\"\noutput = \"/dev/null\""}' "$OUT/hosts-urls.txt" >"$OUT/hosts-urls.curl"

# run_fds NAME CMD...: measure, plus the most descriptors the command held.
run_fds() {
  local name=$1; shift
  measure "$name" "$@" &
  local m=$! most=0 pid n
  for _ in $(seq 3000); do
    pid=$(pgrep -n -P "$(pgrep -n -P $m || echo 0)" 2>/dev/null || true)
    [ -n "$pid" ] && n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l) && [ "$n" -gt "$most" ] && most=$n
    kill -0 $m 2>/dev/null || break
    sleep 0.02
  done
  wait $m
  echo "$name $most" >>"$OUT/fds.txt"
}

rm -f "$OUT/results.txt" "$OUT/fds.txt"
for r in $(seq "$ROUNDS"); do
  run_fds gather "$OUT/gather" fetch -i "$OUT/hosts-urls.txt" -o "$OUT/records.jsonl" --force -c "$C" -q
  run_fds curl curl -s -Z --parallel-max "$C" -K "$OUT/hosts-urls.curl"
done
/usr/bin/python3 - "$REPORT_HOSTS" >"$OUT/hosts-records.jsonl" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f'{{"url":"http://h{i}.example.com/","method":"GET","ok":true,"status":200,"attempts":1,'
          f'"started":"2026-11-27T08:40:36.515Z","elapsed_ms":{10 + i % 50},"bytes":10,"error":null}}')
PY
for r in $(seq "$ROUNDS"); do
  measure report "$OUT/gather" report "$OUT/hosts-records.jsonl"
done
machine
printf '%-8s %7s %9s %9s\n' tool wall_s rss_mib most_fds
for t in gather curl; do
  fds=$(awk -v t=$t '$1==t { print $2 }' "$OUT/fds.txt" | sort -n | awk '{ v[NR]=$1 } END { print v[int((NR+1)/2)] }')
  awk -v t=$t -v w=$(median $t 2) -v r=$(median $t 5) -v f=$fds 'BEGIN { printf "%-8s %7.2f %9.1f %9d\n", t, w, r/1024, f }'
done
awk -v r=$(median report 5) -v h=$REPORT_HOSTS 'BEGIN { printf "gather report over %d hosts: peak RSS %.1f MiB\n", h, r/1024 }'
