#!/usr/bin/env bash
# The transfer benchmark: Coffer against s5cmd, rclone and the aws-cli on one fresh
# single-node Garage (sqlite engine, loopback, started by the testkit). Every case runs
# the tools in turn, A B C D A B C D…, for ROUNDS rounds, against the same bucket,
# clearing the target between runs. Reports the median wall time, Coffer's speed-up
# over each peer (peer time / Coffer time: above 1 means Coffer is faster), client CPU
# seconds and peak RSS (/usr/bin/time). Prints Markdown on stdout; progress on stderr.
#
#   bench/transfer.sh                          # every case, 5 rounds
#   CASES="P2 P3" ROUNDS=3 bench/transfer.sh   # some cases
#
# Cases (datasets are generated deterministically: AES-CTR of zeros, incompressible):
#   P1  10,000 files of 16 KiB, upload and download
#   P2  one 2 GiB file, upload and download, and the server's raw ceiling for the same
#       bytes (coffer-ceiling: parallel PUTs/GETs of parts pre-loaded in memory)
#   P3  peak RSS of the 2 GiB upload and of an 8 GiB upload of a sparse file
#   P4  a full listing of a 100,000-object prefix, against `s5cmd ls`
#
# Peer settings: s5cmd defaults (256 workers; 50 MB parts, 5 at a time); rclone with
# --transfers 32 for many files and 8 streams for one; aws-cli defaults (10 requests).
# Coffer: part 8 MiB, concurrency 8 for one file; its defaults for many files (8
# requests, and up to 256 GETs of objects of 256 KiB or less: Garage answers a small
# GET 40 ms late, Nagle against delayed ACK, and only many requests in flight hide it).
# Not part of CI's pass/fail: time is never asserted.
set -euo pipefail

CASES="${CASES:-P1 P2 P3 P4}"
ROUNDS="${ROUNDS:-5}"
P3_ROUNDS="${P3_ROUNDS:-$ROUNDS}"
SMALL_FILES="${SMALL_FILES:-10000}"
SMALL_KIB="${SMALL_KIB:-16}"
BIG_MIB="${BIG_MIB:-2048}"
HUGE_MIB="${HUGE_MIB:-8192}"
LIST_OBJECTS="${LIST_OBJECTS:-100000}"
PART="${PART:-8MiB}"
CONCURRENCY="${CONCURRENCY:-8}"
# Empty: Coffer's defaults (8 requests; up to 256 GETs of small objects).
SMALL_CONCURRENCY="${SMALL_CONCURRENCY:-}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
for dir in "$HOME/.cargo/bin" "$HOME/.pyenv/shims"; do
    [[ -d "$dir" && ":$PATH:" != *":$dir:"* ]] && export PATH="$PATH:$dir"
done
# The coffer profile's secret goes to the keychain: run on a private test keyring.
if [[ "${COFFER_KEYRING_READY:-}" != 1 ]]; then
    exec scripts/with-keyring.sh "$0" "$@"
fi

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

log "building release binaries"
cargo build --release -q -p coffer-cli -p coffer-testkit -p coffer-bench
target="${CARGO_TARGET_DIR:-$repo/target}/release"
coffer_bin="$target/coffer"
ceiling_bin="$target/coffer-ceiling"

work="$(mktemp -d /var/tmp/coffer-bench.XXXXXX)"
# Downloads land on tmpfs when there is room: on ext4, creating thousands of files
# right after deleting thousands (the previous run's) costs every tool alike, in the
# kernel (ext4 skips recently freed inodes: `recently_deleted`, docs/BENCHMARKS.md),
# and buries the difference between the tools. DOWNLOAD_DIR=/var/tmp measures on disk.
download_root="${DOWNLOAD_DIR:-/dev/shm}"
if [[ ! -d "$download_root" || "$(df -Pm "$download_root" | awk 'NR==2 {print $4}')" -lt $((BIG_MIB + 1024)) ]]; then
    download_root=/var/tmp
fi
down="$(mktemp -d "$download_root/coffer-bench-down.XXXXXX")"
cleanup() {
    [[ -n "${KIT_PID:-}" ]] && kill "$KIT_PID" 2>/dev/null || true
    rm -rf "$work" "$down"
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
    AWS_SECRET_ACCESS_KEY="$COFFER_KIT_SECRET_ACCESS_KEY" AWS_REGION="$COFFER_KIT_REGION"
    AWS_DEFAULT_REGION="$COFFER_KIT_REGION")
# rclone fails with LoadCustomCABundleError when AWS_CA_BUNDLE is set: unset it for
# rclone alone.
rclone_env=(env -u AWS_CA_BUNDLE RCLONE_CONFIG_G_TYPE=s3 RCLONE_CONFIG_G_PROVIDER=Other
    RCLONE_CONFIG_G_ENDPOINT="$E" RCLONE_CONFIG_G_REGION="$COFFER_KIT_REGION"
    RCLONE_CONFIG_G_ACCESS_KEY_ID="$COFFER_KIT_ACCESS_KEY_ID"
    RCLONE_CONFIG_G_SECRET_ACCESS_KEY="$COFFER_KIT_SECRET_ACCESS_KEY"
    RCLONE_CONFIG_G_FORCE_PATH_STYLE=true)
s5() { "${peer_env[@]}" s5cmd --endpoint-url "$E" "$@"; }
coffer() { "$coffer_bin" --profile bench "$@"; }
# Empties a prefix of the bucket.
clear_prefix() { s5 rm "s3://$B/$1/*" >/dev/null 2>&1 || true; }
# Counts the objects under a prefix.
count_prefix() { s5 ls "s3://$B/$1/*" 2>/dev/null | wc -l; }

# Deterministic, incompressible bytes: AES-CTR of zeros, keyed by an optional seed.
generate() { # bytes file [seed]
    head -c "$1" /dev/zero |
        openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:coffer-bench${3:-}" >"$2"
}

results="$work/results"
: >"$results"
# measure CASE TOOL CMD...: appends "case tool wall cpu rss_kib"
measure() {
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
stat_of() { # case tool column
    awk -v c="$1" -v t="$2" -v k="$3" '$1==c && $2==t {print $k}' "$results" | median
}
tools=(coffer s5cmd rclone aws)

# table CASE UNIT AMOUNT TOOLS...: one Markdown table for a case. UNIT names the rate
# ("files/s", "MiB/s", "objects/s"), AMOUNT is what one run moves in that unit.
table() {
    local case="$1" unit="$2" amount="$3"
    shift 3
    local c_wall
    c_wall="$(stat_of "$case" coffer 3)"
    echo "| $case | wall s | $unit | coffer speed-up | CPU s | peak RSS MiB |"
    echo "|---|---|---|---|---|---|"
    for tool in "$@"; do
        awk -v t="$tool" -v w="$(stat_of "$case" "$tool" 3)" -v c="$(stat_of "$case" "$tool" 4)" \
            -v r="$(stat_of "$case" "$tool" 5)" -v a="$amount" -v cw="$c_wall" \
            'BEGIN {printf "| %s | %.2f | %.0f | %s | %.2f | %.0f |\n", t, w, (w > 0 ? a / w : 0), (t == "coffer" || t == "ceiling" ? "–" : sprintf("%.2f×", w / cw)), c, r / 1024}'
    done
    echo
}

# --- P1: many small files -------------------------------------------------------------
p1() {
    local src="$work/small" dl="$down/small"
    log "P1: generating $SMALL_FILES files of $SMALL_KIB KiB"
    mkdir -p "$src"
    generate "$((SMALL_FILES * SMALL_KIB * 1024))" "$work/small.blob"
    (cd "$src" && split -b "$((SMALL_KIB * 1024))" -a 6 -d "$work/small.blob" f)
    rm -f "$work/small.blob"
    for round in $(seq 1 "$ROUNDS"); do
        for tool in "${tools[@]}"; do
            local p="p1-$tool"
            log "P1 round $round: $tool up"
            case "$tool" in
            coffer) CMD=("$coffer_bin" --profile bench cp --recursive "$src" "s3://$B/$p/" ${SMALL_CONCURRENCY:+--concurrency "$SMALL_CONCURRENCY"}) ;;
            s5cmd) CMD=("${peer_env[@]}" s5cmd --endpoint-url "$E" cp "$src/*" "s3://$B/$p/") ;;
            rclone) CMD=("${rclone_env[@]}" rclone copy --transfers 32 "$src" "G:$B/$p") ;;
            aws) CMD=("${peer_env[@]}" aws --endpoint-url "$E" s3 cp --recursive --only-show-errors "$src" "s3://$B/$p/") ;;
            esac
            measure P1-up "$tool" "${CMD[@]}"
            [[ "$(count_prefix "$p")" -eq "$SMALL_FILES" ]] || die "$tool stored $(count_prefix "$p") of $SMALL_FILES files"
            log "P1 round $round: $tool down"
            rm -rf "$dl" && mkdir -p "$dl" && sync
            case "$tool" in
            coffer) CMD=("$coffer_bin" --profile bench cp --recursive "s3://$B/$p/" "$dl" ${SMALL_CONCURRENCY:+--concurrency "$SMALL_CONCURRENCY"}) ;;
            s5cmd) CMD=("${peer_env[@]}" s5cmd --endpoint-url "$E" cp "s3://$B/$p/*" "$dl/") ;;
            rclone) CMD=("${rclone_env[@]}" rclone copy --transfers 32 "G:$B/$p" "$dl") ;;
            aws) CMD=("${peer_env[@]}" aws --endpoint-url "$E" s3 cp --recursive --only-show-errors "s3://$B/$p/" "$dl") ;;
            esac
            measure P1-down "$tool" "${CMD[@]}"
            diff -rq "$src" "$dl" >/dev/null || die "$tool: the downloaded files differ"
            rm -rf "$dl"
            clear_prefix "$p"
        done
    done
    rm -rf "$src"
}

# --- P2: one large file, and the raw ceiling ------------------------------------------
big="$work/big.bin"
p2() {
    # Garage keeps the blocks of deleted objects for a while and does not write a block
    # it already has: every run gets bytes of its own (same size, another seed), or
    # whoever shares the block boundaries of an earlier run would be helped.
    local dl="$down/big.bin"
    for round in $(seq 1 "$ROUNDS"); do
        log "P2 round $round: raw ceiling"
        generate "$((BIG_MIB * 1024 * 1024))" "$big" "-$round-ceiling"
        measure P2-up ceiling "${peer_env[@]}" "$ceiling_bin" put --endpoint "$E" --bucket "$B" \
            --prefix ceiling --file "$big" --concurrency "$CONCURRENCY"
        # The requests alone, without loading the file: what the tool printed.
        sed -i "\$s/^P2-up ceiling [^ ]*/P2-up ceiling $(cat "$work/out")/" "$results"
        measure P2-down ceiling "${peer_env[@]}" "$ceiling_bin" get --endpoint "$E" --bucket "$B" \
            --prefix ceiling --file "$big" --concurrency "$CONCURRENCY"
        sed -i "\$s/^P2-down ceiling [^ ]*/P2-down ceiling $(cat "$work/out")/" "$results"
        clear_prefix ceiling
        for tool in "${tools[@]}"; do
            local key="p2/$tool.bin"
            generate "$((BIG_MIB * 1024 * 1024))" "$big" "-$round-$tool"
            log "P2 round $round: $tool up"
            case "$tool" in
            coffer) CMD=("$coffer_bin" --profile bench cp "$big" "s3://$B/$key" --part-size "$PART" --concurrency "$CONCURRENCY") ;;
            s5cmd) CMD=("${peer_env[@]}" s5cmd --endpoint-url "$E" cp "$big" "s3://$B/$key") ;;
            rclone) CMD=("${rclone_env[@]}" rclone copyto --s3-upload-concurrency "$CONCURRENCY" "$big" "G:$B/$key") ;;
            aws) CMD=("${peer_env[@]}" aws --endpoint-url "$E" s3 cp --only-show-errors "$big" "s3://$B/$key") ;;
            esac
            measure P2-up "$tool" "${CMD[@]}"
            log "P2 round $round: $tool down"
            rm -f "$dl" && sync
            case "$tool" in
            coffer) CMD=("$coffer_bin" --profile bench cp "s3://$B/$key" "$dl" --part-size "$PART" --concurrency "$CONCURRENCY") ;;
            s5cmd) CMD=("${peer_env[@]}" s5cmd --endpoint-url "$E" cp "s3://$B/$key" "$dl") ;;
            rclone) CMD=("${rclone_env[@]}" rclone copyto --multi-thread-streams "$CONCURRENCY" "G:$B/$key" "$dl") ;;
            aws) CMD=("${peer_env[@]}" aws --endpoint-url "$E" s3 cp --only-show-errors "s3://$B/$key" "$dl") ;;
            esac
            measure P2-down "$tool" "${CMD[@]}"
            cmp -s "$big" "$dl" || die "$tool: the downloaded bytes differ"
            rm -f "$dl"
            s5 rm "s3://$B/$key" >/dev/null
        done
    done
}

# --- P3: memory against size ------------------------------------------------------------
p3() {
    local huge="$work/huge.bin"
    truncate -s "$((HUGE_MIB * 1024 * 1024))" "$huge"
    for round in $(seq 1 "$P3_ROUNDS"); do
        generate "$((BIG_MIB * 1024 * 1024))" "$big" "-p3-$round"
        for size in big huge; do
            local file="$big"
            [[ "$size" == huge ]] && file="$huge"
            log "P3 round $round: coffer $size"
            measure "P3-$size" coffer "$coffer_bin" --profile bench cp "$file" "s3://$B/p3/$size" \
                --part-size "$PART" --concurrency "$CONCURRENCY"
            log "P3 round $round: s5cmd $size"
            measure "P3-$size" s5cmd "${peer_env[@]}" s5cmd --endpoint-url "$E" cp "$file" "s3://$B/p3/$size-s5cmd"
            clear_prefix p3
        done
    done
    rm -f "$huge"
}

# --- P4: listing ------------------------------------------------------------------------
p4() {
    log "P4: storing $LIST_OBJECTS objects (with s5cmd)"
    local src="$work/list-src"
    mkdir -p "$src"
    generate "$((LIST_OBJECTS * 64))" "$work/list.blob"
    (cd "$src" && split -b 64 -a 7 -d "$work/list.blob" o)
    rm -f "$work/list.blob"
    s5 cp "$src/*" "s3://$B/p4/" >/dev/null
    rm -rf "$src"
    for round in $(seq 1 "$ROUNDS"); do
        log "P4 round $round: coffer ls"
        measure P4 coffer "$coffer_bin" --profile bench ls --recursive "s3://$B/p4/"
        [[ "$(wc -l <"$work/out")" -eq "$LIST_OBJECTS" ]] || die "coffer listed $(wc -l <"$work/out") objects"
        log "P4 round $round: s5cmd ls"
        measure P4 s5cmd "${peer_env[@]}" s5cmd --endpoint-url "$E" ls "s3://$B/p4/*"
        [[ "$(wc -l <"$work/out")" -eq "$LIST_OBJECTS" ]] || die "s5cmd listed $(wc -l <"$work/out") objects"
    done
}

for case in $CASES; do
    case "$case" in
    P1) p1 ;;
    P2) p2 ;;
    P3) p3 ;;
    P4) p4 ;;
    *) die "unknown case $case (P1 P2 P3 P4)" ;;
    esac
done
cp "$results" "${RESULTS_COPY:-/dev/null}" 2>/dev/null || true

echo "## Transfer benchmark: single-node Garage on loopback"
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr). Medians of $ROUNDS rounds (P3: $P3_ROUNDS), tools in turn."
echo "Versions: $("$coffer_bin" --version), s5cmd $(s5cmd version 2>/dev/null | head -1), $(rclone version 2>/dev/null | head -1), $(aws --version 2>&1 | cut -d' ' -f1), $("$HOME/.cargo/bin/garage" --version 2>/dev/null | head -1 | cut -d' ' -f1-2)."
echo "Coffer: part $PART, concurrency $CONCURRENCY (one file), ${SMALL_CONCURRENCY:-its defaults} (many files). Sources on $(df -PT "$work" | awk 'NR==2 {print $2}'), downloads to $download_root ($(df -PT "$down" | awk 'NR==2 {print $2}'))."
echo
for case in $CASES; do
    case "$case" in
    P1)
        echo "### P1: $SMALL_FILES files of $SMALL_KIB KiB"
        echo
        table P1-up "files/s" "$SMALL_FILES" "${tools[@]}"
        table P1-down "files/s" "$SMALL_FILES" "${tools[@]}"
        ;;
    P2)
        echo "### P2: one $BIG_MIB MiB file"
        echo
        for dir in up down; do
            table "P2-$dir" "MiB/s" "$BIG_MIB" "${tools[@]}" ceiling
            awk -v c="$(stat_of "P2-$dir" coffer 3)" -v r="$(stat_of "P2-$dir" ceiling 3)" -v d="$dir" \
                'BEGIN {printf "Coffer %s at %.0f%% of the raw ceiling (coffer-ceiling: parallel requests only, parts pre-loaded in memory, downloaded bytes thrown away; its RSS holds the whole file).\n\n", d, 100 * r / c}'
        done
        ;;
    P3)
        echo "### P3: peak RSS of one upload, $BIG_MIB MiB file against $HUGE_MIB MiB (sparse)"
        echo
        echo "| tool | $BIG_MIB MiB: peak RSS MiB | $HUGE_MIB MiB: peak RSS MiB | $HUGE_MIB MiB: wall s |"
        echo "|---|---|---|---|"
        for tool in coffer s5cmd; do
            awk -v t="$tool" -v a="$(stat_of P3-big "$tool" 5)" -v b="$(stat_of P3-huge "$tool" 5)" \
                -v w="$(stat_of P3-huge "$tool" 3)" 'BEGIN {printf "| %s | %.0f | %.0f | %.1f |\n", t, a / 1024, b / 1024, w}'
        done
        echo
        ;;
    P4)
        echo "### P4: full listing of $LIST_OBJECTS objects"
        echo
        table P4 "objects/s" "$LIST_OBJECTS" coffer s5cmd
        ;;
    esac
done
