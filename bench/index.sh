#!/usr/bin/env bash
# The bucket index benchmark (P6), on one fresh single-node Garage started by the
# testkit, with the release build:
#   - indexing a 100,000-object bucket (`coffer index refresh`) against a plain full
#     listing of it (`coffer ls --recursive`, `s5cmd ls`): wall, CPU, peak RSS;
#   - a search from the index (`coffer find PATTERN`) against the same search over a
#     listing (`coffer find --fresh`, and `s5cmd ls | grep`);
#   - the index's size on disk;
#   - then the index's own costs at 1,000,000 keys (`index_bench` example: build from
#     a listing served from memory, a folder's first page, folder sizes, searches).
# Medians of ROUNDS rounds, tools in turn. Prints Markdown on stdout; progress on
# stderr. Not part of CI's pass/fail: time is never asserted.
#
#   bench/index.sh                    # 100,000 objects, 5 rounds, then 1,000,000 keys
#   OBJECTS=20000 ROUNDS=3 MILLION=200000 bench/index.sh
set -euo pipefail

OBJECTS="${OBJECTS:-100000}"
ROUNDS="${ROUNDS:-5}"
MILLION="${MILLION:-1000000}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
for dir in "$HOME/.cargo/bin" "$HOME/.pyenv/shims"; do
    [[ -d "$dir" && ":$PATH:" != *":$dir:"* ]] && export PATH="$PATH:$dir"
done
if [[ "${COFFER_KEYRING_READY:-}" != 1 ]]; then
    exec scripts/with-keyring.sh "$0" "$@"
fi

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

log "building release binaries"
cargo build --release -q -p coffer-cli -p coffer-testkit
cargo build --release -q -p coffer-index --example index_bench
target="${CARGO_TARGET_DIR:-$repo/target}/release"
coffer_bin="$target/coffer"

work="$(mktemp -d /var/tmp/coffer-bench-index.XXXXXX)"
cleanup() {
    [[ -n "${KIT_PID:-}" ]] && kill "$KIT_PID" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

log "starting Garage"
coproc KIT { "$target/coffer-testkit" garage; }
KIT_PID=$KIT_PID
while read -r line <&"${KIT[0]}"; do
    [[ "$line" == ready ]] && break
    eval "$line"
done
E="$COFFER_KIT_ENDPOINT" B="$COFFER_KIT_BUCKET"
export COFFER_HOME="$work/coffer-home"
printf %s "$COFFER_KIT_SECRET_ACCESS_KEY" | "$coffer_bin" profile add bench --endpoint "$E" \
    --region "$COFFER_KIT_REGION" --path-style --access-key-id "$COFFER_KIT_ACCESS_KEY_ID" \
    --secret-stdin >/dev/null
peer_env=(env AWS_ACCESS_KEY_ID="$COFFER_KIT_ACCESS_KEY_ID"
    AWS_SECRET_ACCESS_KEY="$COFFER_KIT_SECRET_ACCESS_KEY" AWS_REGION="$COFFER_KIT_REGION")

log "storing $OBJECTS objects under 100 folders (with s5cmd)"
src="$work/src"
python3 - "$src" "$OBJECTS" <<'PY'
import os, sys
src, n = sys.argv[1], int(sys.argv[2])
for d in range(100):
    os.makedirs(f"{src}/d{d:02d}", exist_ok=True)
for i in range(n):
    with open(f"{src}/d{i % 100:02d}/f{i:07d}.bin", "w") as f:
        f.write(f"{i}\n")
PY
(cd "$src" && "${peer_env[@]}" s5cmd --endpoint-url "$E" cp '*' "s3://$B/idx/" >/dev/null)
rm -rf "$src"

results="$work/results"
: >"$results"
measure() { # case tool cmd...
    local case="$1" tool="$2"
    shift 2
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
        log "$case $tool failed:"
        tail -20 "$work/err" >&2
        exit 1
    }
    read -r wall user sys rss <"$work/time"
    echo "$case $tool $wall $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') $rss" >>"$results"
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print 0}'; }
stat_of() { awk -v c="$1" -v t="$2" -v k="$3" '$1==c && $2==t {print $k}' "$results" | median; }
count() { grep -c . "$work/out" || true; }

pattern='**/f*7.bin'
expected=$((OBJECTS / 10))
for round in $(seq 1 "$ROUNDS"); do
    log "round $round: index, listings, searches"
    measure index "coffer index refresh" "$coffer_bin" --profile bench index refresh "s3://$B"
    measure index "coffer ls --recursive" "$coffer_bin" --profile bench ls --recursive "s3://$B/idx/"
    [[ "$(count)" -eq "$OBJECTS" ]] || die "coffer listed $(count) objects"
    measure index "s5cmd ls" "${peer_env[@]}" s5cmd --endpoint-url "$E" ls "s3://$B/idx/*"
    [[ "$(count)" -eq "$OBJECTS" ]] || die "s5cmd listed $(count) objects"
    measure find "coffer find (index)" "$coffer_bin" --profile bench find "s3://$B" "$pattern"
    [[ "$(count)" -eq "$expected" ]] || die "coffer find found $(count)"
    measure find "coffer find --fresh" "$coffer_bin" --profile bench find "s3://$B" "$pattern" --fresh
    [[ "$(count)" -eq "$expected" ]] || die "coffer find --fresh found $(count)"
    measure find "s5cmd ls | grep" bash -c "$(printf '%q ' "${peer_env[@]}") s5cmd --endpoint-url '$E' ls 's3://$B/idx/*' | grep -E 'f[0-9]*7\.bin\$'"
    [[ "$(count)" -eq "$expected" ]] || die "s5cmd | grep found $(count)"
done
disk="$("$coffer_bin" --profile bench index status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disk_bytes"])')"

echo "### P6: the bucket index, $OBJECTS objects on Garage (median of $ROUNDS)"
echo
for case in index find; do
    echo "| $case | wall s | CPU s | peak RSS MiB |"
    echo "|---|---|---|---|"
    awk -v c="$case" '$1==c {t=$2; for (i=3; i<NF-2; i++) t=t" "$i; print t}' "$results" | sort -u |
        while read -r tool; do
            # Tool names hold spaces; the three numbers are the last fields.
            w="$(awk -v c="$case" -v t="$tool" '$1==c {n=$2; for (i=3; i<NF-2; i++) n=n" "$i; if (n==t) print $(NF-2)}' "$results" | median)"
            cpu="$(awk -v c="$case" -v t="$tool" '$1==c {n=$2; for (i=3; i<NF-2; i++) n=n" "$i; if (n==t) print $(NF-1)}' "$results" | median)"
            rss="$(awk -v c="$case" -v t="$tool" '$1==c {n=$2; for (i=3; i<NF-2; i++) n=n" "$i; if (n==t) print $NF}' "$results" | median)"
            echo "| $tool | $w | $cpu | $((${rss%.*} / 1024)) |"
        done
    echo
done
echo "index size on disk after $OBJECTS objects: $((disk / 1024 / 1024)) MiB ($((disk / OBJECTS)) bytes per object, sled's files included)"
echo
echo "### P6: the index at $MILLION keys (\`index_bench\`)"
echo
echo "| measure | value |"
echo "|---|---|"
"$target/examples/index_bench" "$MILLION"
