#!/usr/bin/env bash
# Latency-bound: N requests that each take 500 ms on the server, all at
# once (concurrency N). The ideal is 0.5 s. gather against hey and the
# aiohttp script (curl --parallel caps at 300 transfers in flight), plus
# two diagnostic rows that the targets do not use: gather with the
# command's memory tuner out of the way (GOMEMLIMIT set), and bench/floor,
# the least any client can do (dial, one write, one read), which shows
# what this machine and server allow.
source "$(dirname "$0")/lib.sh"
N=${N:-2000}
install_peers; build; start_target
(cd "$ROOT" && go build -o "$OUT/floor" ./bench/floor)
ulimit -n 65536 2>/dev/null || true
rm -f "$OUT/results.txt"
url_list "$N" /delay/500 "$OUT/slow.txt"
for r in $(seq "$ROUNDS"); do
  measure gather "$OUT/gather" fetch -i "$OUT/slow.txt" -o "$OUT/records.jsonl" --force -c "$N" -q
  measure hey hey -n "$N" -c "$N" "http://$ADDR/delay/500"
  measure aiohttp /usr/bin/python3 "$BENCH/aiohttp_fetch.py" "$OUT/slow.txt" "$N" "$OUT/aiohttp.jsonl"
  measure gather-notuner env GOMEMLIMIT=off "$OUT/gather" fetch -i "$OUT/slow.txt" -o "$OUT/records.jsonl" --force -c "$N" -q
  measure floor "$OUT/floor" "$ADDR" /delay/500 "$N"
done
machine
printf '%-15s %7s %11s %13s\n' tool wall_s wall/ideal cpu_s
for t in gather hey aiohttp gather-notuner floor; do
  awk -v t=$t -v w=$(median $t 2) -v c=$(median $t 6) 'BEGIN { printf "%-15s %7.2f %11.2f %13.2f\n", t, w, w/0.5, c }'
done
awk -v g=$(median gather 2) -v h=$(median hey 2) -v a=$(median aiohttp 2) -v f=$(median floor 2) 'BEGIN {
  printf "gather / ideal   = %.2f (target <= 1.15; floor / ideal = %.2f)\n", g/0.5, f/0.5
  printf "gather / hey     = %.2f (target < 1)\n", g/h
  printf "gather / aiohttp = %.2f (target <= 0.80)\n", g/a }'
