#!/usr/bin/env bash
# Load check of `coffer serve` on loopback: CLIENTS concurrent connections (default
# 200) listing a folder and statting objects for DURATION (default 60 s), with wrk.
# Reports requests, errors (non-2xx and socket errors; goal 0), p50/p99 latency and
# the server's peak RSS. Bounded in count and time; a benchmark, never a test.
#
#   bench/api_load.sh
#   CLIENTS=50 DURATION=10s bench/api_load.sh
set -euo pipefail

CLIENTS="${CLIENTS:-200}"
DURATION="${DURATION:-60s}"
OBJECTS="${OBJECTS:-1000}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
log() { printf 'bench: %s\n' "$*" >&2; }
command -v wrk >/dev/null || { log "wrk is missing (apt-get install wrk)"; exit 1; }

log "building the release binary"
cargo build --release -q -p coffer-cli
coffer_bin="${CARGO_TARGET_DIR:-$repo/target}/release/coffer"

work="$(mktemp -d /var/tmp/coffer-load.XXXXXX)"
server_pid=""
cleanup() {
    [[ -n "$server_pid" ]] && pkill -TERM -P "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
export COFFER_HOME="$work/home"
export COFFER_API_TOKEN="load-$(date +%s)-$$"

log "making $OBJECTS objects in the local profile"
mkdir -p "$work/data/items"
for i in $(seq 1 "$OBJECTS"); do printf 'object %s\n' "$i" >"$work/data/items/obj-$i.txt"; done
"$coffer_bin" mb s3://load >/dev/null
"$coffer_bin" cp -r "$work/data/items" s3://load/items/ >/dev/null

port=$((20000 + RANDOM % 20000))
/usr/bin/time -f '%M' -o "$work/rss" "$coffer_bin" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
done

cat >"$work/mix.lua" <<LUA
-- Alternates a folder listing (one page of 100) and a stat of one object.
local n = 0
request = function()
  n = n + 1
  local path
  if n % 2 == 0 then
    path = "/api/v1/profiles/local/buckets/load/objects?prefix=items/&max_keys=100"
  else
    path = "/api/v1/profiles/local/buckets/load/object/meta?key=items/obj-" .. ((n % $OBJECTS) + 1) .. ".txt"
  end
  return wrk.format("GET", path, { ["Authorization"] = "Bearer $COFFER_API_TOKEN" })
end
LUA

log "wrk: $CLIENTS connections for $DURATION"
wrk -t2 -c"$CLIENTS" -d"$DURATION" --timeout 10s --latency -s "$work/mix.lua" \
    "http://127.0.0.1:$port" >"$work/wrk.txt"
# Signal coffer itself (time's child): time then reports its peak RSS.
pkill -TERM -P "$server_pid"
wait "$server_pid" || true
server_pid=""

requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
socket=$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' "$work/wrk.txt")
p50=$(awk '$1=="50%" {print $2}' "$work/wrk.txt")
p99=$(awk '$1=="99%" {print $2}' "$work/wrk.txt")
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
rss=$(( $(grep -E '^[0-9]+$' "$work/rss" | tail -1) / 1024 ))

echo "### coffer serve under load ($CLIENTS connections, $DURATION, local profile, $OBJECTS objects)"
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)."
echo
echo "| requests | req/s | errors (non-2xx + socket) | p50 | p99 | server peak RSS |"
echo "|---|---|---|---|---|---|"
echo "| $requests | $rps | $(( ${non2xx:-0} + ${socket:-0} )) | $p50 | $p99 | ${rss} MiB |"
echo
echo '```'
cat "$work/wrk.txt"
echo '```'
