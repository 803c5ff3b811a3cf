# Shared by the bench scripts: peers, binaries, the target server, timing.
# Sourced, not run. Everything goes to loopback; every loop is bounded.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=${OUT:-$BENCH/out}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"

# install_peers installs the Debian packages a script compares against.
install_peers() {
  local missing=()
  command -v curl >/dev/null || missing+=(curl)
  command -v hey >/dev/null || missing+=(hey)
  [ -x /usr/bin/time ] || missing+=(time)
  /usr/bin/python3 -c 'import aiohttp' 2>/dev/null || missing+=(python3-aiohttp)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# build builds gather as README.md says to install it (CGO_ENABLED=0: a
# static binary), gather-cgo as a plain `go build` makes it where a C
# compiler is found (linked with the C library, for the memory comparison),
# and the target server.
build() {
  (cd "$ROOT" && CGO_ENABLED=0 go build -o "$OUT/gather" ./cmd/gather &&
    CGO_ENABLED=1 go build -o "$OUT/gather-cgo" ./cmd/gather &&
    go build -o "$OUT/target" ./bench/target)
}

# start_target starts the target server on a free loopback port; sets ADDR.
start_target() {
  "$OUT/target" >"$OUT/target.addr" &
  TARGET_PID=$!
  trap 'kill $TARGET_PID 2>/dev/null || true' EXIT
  for _ in $(seq 50); do [ -s "$OUT/target.addr" ] && break; sleep 0.1; done
  ADDR=$(cat "$OUT/target.addr")
  curl -sf -o /dev/null "http://$ADDR/json"
}

# url_list N PATH FILE writes N distinct URLs of PATH on the target.
url_list() {
  /usr/bin/python3 - "$1" "$ADDR" "$2" >"$3" <<'PY'
import sys
n, addr, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sep = "&" if "?" in path else "?"
out = sys.stdout
for i in range(n):
    out.write(f"http://{addr}{path}{sep}i={i}\n")
PY
}

# measure NAME CMD... runs CMD under /usr/bin/time and appends
# "NAME wall user sys maxrss_kb" to $OUT/results.txt.
measure() {
  local name=$1; shift
  /usr/bin/time -f "$name %e %U %S %M" -a -o "$OUT/results.txt" "$@" >/dev/null 2>>"$OUT/stderr.txt" || true
}

# median NAME FIELD prints the median of a field (2 wall, 3 user, 4 sys,
# 5 rss, 6 user+sys) over NAME's rounds.
median() {
  awk -v n="$1" -v f="$2" '$1==n { print (f==6) ? $3+$4 : $f }' "$OUT/results.txt" | sort -g |
    awk '{ a[c++]=$1 } END { if (!c) { print "nan"; exit } print (c%2) ? a[(c-1)/2] : (a[c/2-1]+a[c/2])/2 }'
}

machine() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(go version | cut -d' ' -f3); $(date -u +%F)"
}
