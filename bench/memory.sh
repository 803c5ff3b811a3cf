#!/usr/bin/env bash
# Memory: peak RSS of gather over 30,000, 300,000 and 1,000,000 URLs of the
# fast endpoint (records with bodies, to a file). Flat but for the dedup set.
source "$(dirname "$0")/lib.sh"
SIZES=${SIZES:-"30000 300000 1000000"}
build; start_target
rm -f "$OUT/results.txt"
for n in $SIZES; do
  url_list "$n" /json "$OUT/urls-$n.txt"
  for r in $(seq "$ROUNDS"); do
    measure "n$n" "$OUT/gather" fetch -i "$OUT/urls-$n.txt" -o "$OUT/records.jsonl" --force -c 100 -q
    measure "cgo$n" "$OUT/gather-cgo" fetch -i "$OUT/urls-$n.txt" -o "$OUT/records.jsonl" --force -c 100 -q
  done
  rm -f "$OUT/records.jsonl"
done
machine
printf '%-9s %9s %9s %10s %14s\n' urls wall_s rss_mib rss/first cgo_rss_mib
first=""
for n in $SIZES; do
  rss=$(median "n$n" 5); [ -n "$first" ] || first=$rss
  awk -v n=$n -v w=$(median "n$n" 2) -v r=$rss -v f=$first -v c=$(median "cgo$n" 5) \
    'BEGIN { printf "%-9d %9.2f %9.1f %10.2f %14.1f\n", n, w, r/1024, r/f, c/1024 }'
done
echo "targets: 1,000,000 at most 32 MiB; 300,000 within 1.2x of 30,000"
