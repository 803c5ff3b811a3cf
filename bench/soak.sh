#!/usr/bin/env bash
# Soak: N requests (200,000) with 10% faults of every kind over 4 hosts of
# `gather serve`, sampling gather's RSS and open descriptors every second.
# Asserts exactly one well-formed record per request; prints RSS over time.
source "$(dirname "$0")/lib.sh"
N=${N:-200000}
build
PIDS=()
trap 'kill ${PIDS[@]} 2>/dev/null || true' EXIT
BASES=()
for h in 1 2 3 4; do
  port=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  "$OUT/gather" serve --addr "127.0.0.1:$port" >/dev/null 2>&1 & PIDS+=($!)
  BASES+=("http://127.0.0.1:$port")
done
for b in "${BASES[@]}"; do for _ in $(seq 50); do curl -sf -o /dev/null "$b/status/200" && break; sleep 0.1; done; done
/usr/bin/python3 - "$N" "${BASES[@]}" >"$OUT/soak.txt" <<'PY'
import sys
n, bases = int(sys.argv[1]), sys.argv[2:]
faults = ["/flaky/1", "/reset/1", "/status/404", "/status/500", "/bytes/300", "/redirect/2", "/delay/50", "/status/503"]
for i in range(n):
    b = bases[i % len(bases)]
    if i % 20000 == 7:   print(f"{b}/ratelimit/1?i={i}")       # pauses its host for a second
    elif i % 2000 == 3:  print(f"{b}/hang?i={i}")              # times out
    elif i % 5000 == 11: print(f"not a url {i}")               # invalid
    elif i % 10 == 5:    print(f"{b}{faults[(i // 10) % len(faults)]}?i={i}")
    else:                print(f"{b}/json?size=300&i={i}")
PY
"$OUT/gather" fetch -i "$OUT/soak.txt" -o "$OUT/soak.jsonl" --force -c 100 --timeout 1s --retries 2 --backoff 20ms -q &
G=$!
: >"$OUT/soak-samples.txt"
while kill -0 $G 2>/dev/null; do
  rss=$(awk '/VmRSS/{print $2}' /proc/$G/status 2>/dev/null || true)
  fds=$(ls /proc/$G/fd 2>/dev/null | wc -l)
  [ -n "$rss" ] && echo "$(date +%s) $rss $fds" >>"$OUT/soak-samples.txt"
  sleep 1
done
wait $G || true
machine
/usr/bin/python3 - "$OUT/soak.txt" "$OUT/soak.jsonl" "$OUT/soak-samples.txt" <<'PY'
import json, sys, collections
lines = [l.rstrip("\n") for l in open(sys.argv[1])]
recs = [json.loads(l) for l in open(sys.argv[2])]
want = collections.Counter(l for l in lines if not l.startswith("not a url"))
got = collections.Counter(r["url"] for r in recs if "url" in r)
invalid = sum(1 for r in recs if (r.get("error") or {}).get("kind") == "invalid")
kinds = collections.Counter((r.get("error") or {}).get("kind", "ok") for r in recs)
ok = got == want and invalid == sum(1 for l in lines if l.startswith("not a url")) and len(recs) == len(lines)
samples = [tuple(map(int, s.split())) for s in open(sys.argv[3])]
rss = [s[1] for s in samples]; fds = [s[2] for s in samples]
q = len(rss) // 4 or 1
print(f"requests {len(lines)}, records {len(recs)}, one per request: {ok}")
print("kinds:", dict(sorted(kinds.items())))
print(f"wall ~{len(samples)} s; RSS MiB first quarter max {max(rss[:q])/1024:.1f}, last quarter max {max(rss[-q:])/1024:.1f}, overall max {max(rss)/1024:.1f}")
print(f"open descriptors: max {max(fds)}, last {fds[-1]}")
sys.exit(0 if ok else 1)
PY
