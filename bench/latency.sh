#!/usr/bin/env bash
# Latency-bound: N requests that each take 500 ms on the server, all at
# once (concurrency N). The ideal is 0.5 s. gather against hey and the
# aiohttp script (curl --parallel caps at 300 transfers in flight).
source "$(dirname "$0")/lib.sh"
N=${N:-2000}
install_peers; build; start_target
ulimit -n 65536 2>/dev/null || true
rm -f "$OUT/results.txt"
url_list "$N" /delay/500 "$OUT/slow.txt"
for r in $(seq "$ROUNDS"); do
  measure gather "$OUT/gather" fetch -i "$OUT/slow.txt" -o "$OUT/records.jsonl" --force -c "$N" -q
  measure hey hey -n "$N" -c "$N" "http://$ADDR/delay/500"
  measure aiohttp /usr/bin/python3 "$BENCH/aiohttp_fetch.py" "$OUT/slow.txt" "$N" "$OUT/aiohttp.jsonl"
done
machine
printf '%-8s %9s %12s\n' tool wall_s wall/ideal
for t in gather hey aiohttp; do
  awk -v t=$t -v w=$(median $t 2) 'BEGIN { printf "%-8s %9.2f %12.2f\n", t, w, w/0.5 }'
done
awk -v g=$(median gather 2) -v h=$(median hey 2) -v a=$(median aiohttp 2) 'BEGIN {
  printf "gather / ideal   = %.2f (target <= 1.15)\n", g/0.5
  printf "gather / hey     = %.2f (target < 1)\n", g/h
  printf "gather / aiohttp = %.2f (target <= 0.80)\n", g/a }'
