#!/usr/bin/env bash
# The replication benchmark (P6), release build, Garage on loopback:
#   1. `replicate_bench` (example of coffer-replicate, its own Garage): the writer's
#      transactions/s and commit latency without and with replication, lag at RATE
#      writes/s (commit to the end of its upload: p50, p99, max), requests per hour
#      while writing and idle;
#   2. restoring a SIZE_MIB database: `coffer replicate restore` (wall, CPU, peak RSS)
#      against downloading the same snapshot object with s5cmd (the floor: bytes only,
#      no decompression, no check).
# Prints Markdown on stdout; progress on stderr. Not part of CI: time is never
# asserted.
#
#   bench/replicate.sh
#   RATE=1000 WRITE_SECONDS=30 SIZE_MIB=1024 ROUNDS=3 bench/replicate.sh
set -euo pipefail

RATE="${RATE:-1000}"
SECONDS_WRITING="${WRITE_SECONDS:-30}"
SIZE_MIB="${SIZE_MIB:-1024}"
ROUNDS="${ROUNDS:-3}"

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
cargo build --release -q -p coffer-replicate --example replicate_bench
target="${CARGO_TARGET_DIR:-$repo/target}/release"
coffer_bin="$target/coffer"

log "lag, writer and requests (RATE=$RATE, WRITE_SECONDS=$SECONDS_WRITING)"
RATE="$RATE" SECONDS="$SECONDS_WRITING" "$target/examples/replicate_bench"

work="$(mktemp -d /var/tmp/coffer-bench-repl.XXXXXX)"
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

log "making a ${SIZE_MIB} MiB database"
db="$work/big.db"
python3 - "$db" "$SIZE_MIB" <<'EOF'
import sqlite3, sys, os
db, mib = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
c.execute("pragma journal_mode=wal")
c.execute("create table t(id integer primary key, a text, b blob)")
# Half compressible text, half random bytes: a database, not a block of noise.
row = 16 * 1024
for i in range(mib * 1024 * 1024 // row):
    c.execute("insert into t(a, b) values (?, ?)", ("customer %d " % i * 40, os.urandom(row // 2)))
    if i % 1000 == 0:
        c.commit()
c.commit()
c.execute("pragma wal_checkpoint(truncate)")
c.close()
EOF
log "replicating it (the first snapshot)"
"$coffer_bin" --profile bench replicate run "$db" "s3://$B/dbs" >"$work/run.out" 2>"$work/run.err" &
run_pid=$!
for _ in $(seq 1 600); do
    grep -q '^replicating' "$work/run.err" && break
    sleep 1
done
kill -TERM "$run_pid"
wait "$run_pid" || die "replicate run failed: $(cat "$work/run.err")"
snapshot="$("$coffer_bin" --profile bench ls --recursive "s3://$B/dbs/" --json | python3 -c '
import json, sys
keys = [json.loads(l) for l in sys.stdin if l.strip()]
print(max((k for k in keys if "/9/" in k["key"]), key=lambda k: k["size"])["key"])')"
snap_bytes="$("$coffer_bin" --profile bench stat "s3://$B/$snapshot" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')"

results="$work/results"
: >"$results"
measure() { # tool cmd...
    local tool="$1"
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
        log "$tool failed: $(tail -3 "$work/err")"
        return 1
    }
    read -r wall user sys rss <"$work/time"
    echo "$tool|$wall|$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')|$rss" >>"$results"
}
for round in $(seq 1 "$ROUNDS"); do
    log "restore round $round"
    rm -f "$work/restored.db" "$work/snap.seg"
    sync
    measure "coffer replicate restore" "$coffer_bin" --profile bench replicate restore "s3://$B/dbs" --to "$work/restored.db"
    measure "s5cmd cp (the snapshot's bytes only)" "${peer_env[@]}" s5cmd --endpoint-url "$E" cp "s3://$B/$snapshot" "$work/snap.seg"
done
python3 - "$db" "$work/restored.db" <<'EOF'
import sqlite3, sys
a = sqlite3.connect(sys.argv[1]).execute("select count(*), sum(length(b)) from t").fetchone()
b = sqlite3.connect(sys.argv[2]).execute("select count(*), sum(length(b)) from t").fetchone()
assert a == b, (a, b)
EOF

echo
echo "### Restoring a $SIZE_MIB MiB database (snapshot object $((snap_bytes / 1048576)) MiB), medians of $ROUNDS"
echo
echo "| tool | wall (s) | CPU (s) | peak RSS (MiB) |"
echo "|---|---|---|---|"
python3 - "$results" <<'EOF'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    tool, wall, cpu, rss = line.strip().split("|")
    rows.setdefault(tool, []).append((float(wall), float(cpu), int(rss)))
for tool, v in rows.items():
    print("| %s | %.2f | %.2f | %.0f |" % (tool, statistics.median(x[0] for x in v),
          statistics.median(x[1] for x in v), statistics.median(x[2] for x in v) / 1024))
EOF
