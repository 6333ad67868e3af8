#!/usr/bin/env bash
# One large file up and down through coffer, s5cmd, rclone and the aws-cli, against a
# fresh single-node Garage on loopback (started by the testkit). Tools run in turn,
# A B C D A B C D..., for ROUNDS rounds; the table gives the median wall time, the rate,
# Coffer's time relative to each peer, client CPU seconds and peak RSS
# (/usr/bin/time -v). Prints a Markdown table on stdout; progress goes to stderr.
#
#   bench/transfer.sh                 # 1 GiB, 3 rounds
#   SIZE_MIB=2048 ROUNDS=5 bench/transfer.sh
#
# Not part of CI's pass/fail: time is never asserted.
set -euo pipefail

SIZE_MIB="${SIZE_MIB:-1024}"
ROUNDS="${ROUNDS:-3}"
PART="${PART:-8MiB}"
CONCURRENCY="${CONCURRENCY:-8}"

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

log "building release binaries"
cargo build --release -q -p coffer-cli -p coffer-testkit
target="${CARGO_TARGET_DIR:-$repo/target}/release"
coffer_bin="$target/coffer"

work="$(mktemp -d /var/tmp/coffer-bench.XXXXXX)"
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

log "generating ${SIZE_MIB} MiB of deterministic data"
src="$work/data.bin"
# AES-CTR of zeros: incompressible, the same on every run, and as long as its input.
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/zero |
    openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:coffer-bench >"$src"

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

# Each sets CMD to the command line for one tool (so that /usr/bin/time runs the tool
# itself and its peak RSS is the tool's).
up_cmd() { # tool key
    case "$1" in
    coffer) CMD=("$coffer_bin" --profile bench cp "$src" "s3://$B/$2" --part-size "$PART" --concurrency "$CONCURRENCY") ;;
    s5cmd) CMD=("${peer_env[@]}" s5cmd --endpoint-url "$E" cp "$src" "s3://$B/$2") ;;
    rclone) CMD=("${rclone_env[@]}" rclone copyto --s3-upload-concurrency "$CONCURRENCY" "$src" "G:$B/$2") ;;
    aws) CMD=("${peer_env[@]}" aws --endpoint-url "$E" s3 cp --only-show-errors "$src" "s3://$B/$2") ;;
    esac
}
down_cmd() { # tool key dest
    case "$1" in
    coffer) CMD=("$coffer_bin" --profile bench cp "s3://$B/$2" "$3" --part-size "$PART" --concurrency "$CONCURRENCY") ;;
    s5cmd) CMD=("${peer_env[@]}" s5cmd --endpoint-url "$E" cp "s3://$B/$2" "$3") ;;
    rclone) CMD=("${rclone_env[@]}" rclone copyto --multi-thread-streams "$CONCURRENCY" "G:$B/$2" "$3") ;;
    aws) CMD=("${peer_env[@]}" aws --endpoint-url "$E" s3 cp --only-show-errors "s3://$B/$2" "$3") ;;
    esac
}

tools=(coffer s5cmd rclone aws)
results="$work/results"
: >"$results"
# measure TOOL DIRECTION CMD...: appends "tool dir wall cpu rss_kib"
measure() {
    local tool="$1" dir="$2"
    shift 2
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
        log "$tool $dir failed:"
        cat "$work/err" >&2
        exit 1
    }
    read -r wall user sys rss <"$work/time"
    echo "$tool $dir $wall $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') $rss" >>"$results"
}

for round in $(seq 1 "$ROUNDS"); do
    for tool in "${tools[@]}"; do
        log "round $round: $tool up"
        up_cmd "$tool" "obj-$tool"
        measure "$tool" up "${CMD[@]}"
        log "round $round: $tool down"
        rm -f "$work/down.bin"
        sync
        down_cmd "$tool" "obj-$tool" "$work/down.bin"
        measure "$tool" down "${CMD[@]}"
        cmp -s "$src" "$work/down.bin" || { log "$tool: downloaded bytes differ"; exit 1; }
        rm -f "$work/down.bin"
        "${peer_env[@]}" s5cmd --endpoint-url "$E" rm "s3://$B/obj-$tool" >/dev/null
    done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
stat_of() { # tool dir column
    awk -v t="$1" -v d="$2" -v c="$3" '$1==t && $2==d {print $c}' "$results" | median
}

echo "### ${SIZE_MIB} MiB, one file, single-node Garage on loopback ($ROUNDS rounds, median)"
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB. Coffer: part $PART, concurrency $CONCURRENCY."
echo "Versions: $("$coffer_bin" --version), s5cmd $(s5cmd version 2>/dev/null | head -1), $(rclone version 2>/dev/null | head -1), $(aws --version 2>&1 | cut -d' ' -f1), $("$HOME/.cargo/bin/garage" --version 2>/dev/null | head -1 | cut -d' ' -f1-2)."
echo
for dir in up down; do
    c_wall="$(stat_of coffer "$dir" 3)"
    echo "| $dir | wall s | MiB/s | coffer speed-up | CPU s | peak RSS MiB |"
    echo "|---|---|---|---|---|---|"
    for tool in "${tools[@]}"; do
        wall="$(stat_of "$tool" "$dir" 3)"
        cpu="$(stat_of "$tool" "$dir" 4)"
        rss="$(stat_of "$tool" "$dir" 5)"
        awk -v t="$tool" -v w="$wall" -v c="$cpu" -v r="$rss" -v s="$SIZE_MIB" -v cw="$c_wall" \
            'BEGIN {printf "| %s | %.2f | %.0f | %.2f× | %.1f | %.0f |\n", t, w, s/w, w/cw, c, r/1024}'
    done
    echo
done
