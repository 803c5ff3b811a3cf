#!/usr/bin/env bash
# Throughput: N GETs of a 1 KiB JSON body at concurrency C, records to a
# file, gather against curl --parallel, the asyncio lesson's aiohttp script
# and hey, alternating, ROUNDS rounds. Prints medians and ratios. The row
# gather-notuner (the command with GOMEMLIMIT set, so that its memory tuner
# stands aside) is a diagnostic; the targets use the gather row.
source "$(dirname "$0")/lib.sh"
N=${N:-20000} C=${C:-100}
install_peers; build; start_target
rm -f "$OUT/results.txt"
url_list "$N" /json "$OUT/urls.txt"
awk '{print "url = \"" $0 "\"\noutput = \"/dev/null\""}' "$OUT/urls.txt" >"$OUT/urls.curl"
for r in $(seq "$ROUNDS"); do
  measure gather "$OUT/gather" fetch -i "$OUT/urls.txt" -o "$OUT/records.jsonl" --force -c "$C" -q
  measure curl curl -s -Z --parallel-max "$C" -K "$OUT/urls.curl"
  measure aiohttp /usr/bin/python3 "$BENCH/aiohttp_fetch.py" "$OUT/urls.txt" "$C" "$OUT/aiohttp.jsonl"
  measure hey hey -n "$N" -c "$C" "http://$ADDR/json"
  measure gather-notuner env GOMEMLIMIT=off "$OUT/gather" fetch -i "$OUT/urls.txt" -o "$OUT/records.jsonl" --force -c "$C" -q
done
machine
printf '%-15s %7s %10s %14s %9s\n' tool wall_s req_per_s cpu_s_per_1k rss_mb
for t in gather curl aiohttp hey gather-notuner; do
  w=$(median $t 2); cpu=$(median $t 6); rss=$(median $t 5)
  awk -v t=$t -v w=$w -v n=$N -v cpu=$cpu -v rss=$rss 'BEGIN { printf "%-15s %7.2f %10.0f %14.3f %9.1f\n", t, w, n/w, cpu*1000/n, rss/1024 }'
done
g=$(median gather 2); gc=$(median gather 6)
awk -v g=$g -v c=$(median curl 2) -v a=$(median aiohttp 2) -v h=$(median hey 2) -v gc=$gc -v cc=$(median curl 6) 'BEGIN {
  printf "gather wall / curl wall   = %.2f  (target <= 0.80)\n", g/c
  printf "gather req/s / aiohttp    = %.1fx (target >= 8)\n", a/g
  printf "gather CPU / curl CPU     = %.2f  (target <= 1.00)\n", gc/cc
  printf "gather wall / hey wall    = %.2f\n", g/h }'
