#!/usr/bin/env bash
# Does `coffer serve` stay flat in memory as bodies grow? Streams SIZES (MiB) up
# with `curl -T` and back down through the API (local profile), each size on a fresh
# server, and reports the server's peak RSS for each. A benchmark, never a test.
#
#   bench/api_stream.sh                  # 256 and 2048 MiB
#   SIZES="128 1024" bench/api_stream.sh
set -euo pipefail

SIZES="${SIZES:-256 2048}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
log() { printf 'bench: %s\n' "$*" >&2; }

log "building the release binary"
cargo build --release -q -p coffer-cli
coffer_bin="${CARGO_TARGET_DIR:-$repo/target}/release/coffer"
work="$(mktemp -d /var/tmp/coffer-stream.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export COFFER_API_TOKEN="stream-$$"

echo "### coffer serve: peak RSS while streaming one object up and down (local profile)"
echo
echo "| size | upload s | download s | server peak RSS |"
echo "|---|---|---|---|"
for mib in $SIZES; do
    export COFFER_HOME="$work/home-$mib"
    "$coffer_bin" mb s3://stream >/dev/null
    head -c "$((mib * 1024 * 1024))" /dev/zero |
        openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:coffer-bench >"$work/src.bin"
    port=$((20000 + RANDOM % 20000))
    /usr/bin/time -f '%M' -o "$work/rss" "$coffer_bin" serve --listen "127.0.0.1:$port" 2>/dev/null &
    pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    url="http://127.0.0.1:$port/api/v1/profiles/local/buckets/stream/object?key=big.bin"
    up=$( { /usr/bin/time -f '%e' curl -fsS -o /dev/null -H "Authorization: Bearer $COFFER_API_TOKEN" \
        -H 'Content-Type: application/octet-stream' -T "$work/src.bin" "$url"; } 2>&1 | tail -1)
    down=$( { /usr/bin/time -f '%e' curl -fsS -o "$work/back.bin" -H "Authorization: Bearer $COFFER_API_TOKEN" "$url"; } 2>&1 | tail -1)
    cmp -s "$work/src.bin" "$work/back.bin" || { log "$mib MiB: the bytes differ"; exit 1; }
    pkill -TERM -P "$pid"
    wait "$pid" || true
    echo "| $mib MiB | $up | $down | $(( $(grep -E '^[0-9]+$' "$work/rss" | tail -1) / 1024 )) MiB |"
    rm -rf "$work/src.bin" "$work/back.bin" "$COFFER_HOME"
done
