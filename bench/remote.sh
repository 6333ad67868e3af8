#!/usr/bin/env bash
# What going through a remote agent costs: `coffer cp` of one big file up and down,
# on the same Garage bucket, directly (this machine's profile) and through
# `coffer --remote` (a `coffer serve --tls` on 127.0.0.1 holds the profile; the bytes
# go through its API: AgentStore → raw store routes → Garage), with s5cmd direct as
# the peer. Wall time, MiB/s and peak RSS of the client, and the agent's peak RSS
# (VmHWM) after the runs: its memory must not grow with the file (parts over 1 MiB are
# spooled to disk). Needs the keychain (`scripts/with-keyring.sh bench/remote.sh`).
#
#   BIG_MIB=256 COFFER_BIN=target/release/coffer bench/remote.sh   (default: debug)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target="${CARGO_TARGET_DIR:-target}/debug"
bin="${COFFER_BIN:-$target/coffer}"
kit="${COFFER_TESTKIT_BIN:-$target/coffer-testkit}"
big_mib="${BIG_MIB:-256}"
for b in "$bin" "$kit"; do
    [[ -x "$b" ]] || { echo "no $b: cargo build -p coffer-cli -p coffer-testkit first" >&2; exit 1; }
done
command -v s5cmd >/dev/null || { echo "s5cmd missing (scripts/setup.sh installs it)" >&2; exit 1; }
work="$(mktemp -d)"
cleanup() {
    kill "${agent:-0}" "${KIT_PID:-0}" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
log() { echo "$*" >&2; }

coproc KIT { "$kit" garage; }
KIT_PID=$KIT_PID
while read -r line <&"${KIT[0]}"; do
    [[ "$line" == ready ]] && break
    eval "$line"
done
E="$COFFER_KIT_ENDPOINT" B="$COFFER_KIT_BUCKET"
add_profile() { # home
    printf %s "$COFFER_KIT_SECRET_ACCESS_KEY" | COFFER_HOME="$1" "$bin" profile add bench \
        --endpoint "$E" --region "$COFFER_KIT_REGION" --path-style \
        --access-key-id "$COFFER_KIT_ACCESS_KEY_ID" --secret-stdin >/dev/null
}

# The agent's side, and this side's direct profile.
add_profile "$work/agent-home"
add_profile "$work/direct-home"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export COFFER_API_TOKEN=bench-remote-token
COFFER_HOME="$work/agent-home" "$bin" serve --listen "127.0.0.1:$port" --tls >/dev/null 2>&1 &
agent=$!
for _ in $(seq 1 100); do [[ -S "$work/agent-home/agent.sock" ]] && break; sleep 0.1; done
fingerprint="$(COFFER_HOME="$work/agent-home" "$bin" serve --print-token --tls | sed -n 's/^TLS certificate SHA256 fingerprint: //p')"
printf %s "$COFFER_API_TOKEN" | COFFER_HOME="$work/client-home" "$bin" remote add nas \
    "https://127.0.0.1:$port" --token-stdin --fingerprint "$fingerprint" >/dev/null

head -c $((big_mib * 1024 * 1024)) /dev/zero |
    openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:coffer-remote >"$work/big.bin"

peer=(env AWS_ACCESS_KEY_ID="$COFFER_KIT_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$COFFER_KIT_SECRET_ACCESS_KEY"
    AWS_REGION="$COFFER_KIT_REGION" s5cmd --endpoint-url "$E")
direct=(env COFFER_HOME="$work/direct-home" "$bin" --profile bench)
remote=(env COFFER_HOME="$work/client-home" "$bin" --remote nas --profile bench)

rows=()
measure() { # label command...
    /usr/bin/time -f '%e %M' -o "$work/time" "${@:2}" >/dev/null 2>"$work/err" ||
        { cat "$work/err" >&2; exit 1; }
    local out secs kib
    out="$(tail -1 "$work/time")"
    secs="${out% *}" kib="${out#* }"
    rows+=("$1|$secs|$kib")
    log "$1: $secs s, $((kib / 1024)) MiB"
}
for round in 1 2 3; do
    rm -f "$work/down-"*
    measure "s5cmd up (direct)" "${peer[@]}" cp "$work/big.bin" "s3://$B/s5.bin"
    measure "coffer up (direct)" "${direct[@]}" cp "$work/big.bin" "s3://$B/direct.bin"
    measure "coffer up (--remote)" "${remote[@]}" cp "$work/big.bin" "s3://$B/remote.bin"
    measure "s5cmd down (direct)" "${peer[@]}" cp "s3://$B/s5.bin" "$work/down-s5.bin"
    measure "coffer down (direct)" "${direct[@]}" cp "s3://$B/direct.bin" "$work/down-direct.bin"
    measure "coffer down (--remote)" "${remote[@]}" cp "s3://$B/remote.bin" "$work/down-remote.bin"
    cmp -s "$work/big.bin" "$work/down-remote.bin" || { echo "the remote download differs" >&2; exit 1; }
done
hwm_kib="$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")"

python3 - "$big_mib" "$hwm_kib" "${rows[@]}" <<'PY'
import statistics, sys
mib, hwm = int(sys.argv[1]), int(sys.argv[2])
runs = {}
for row in sys.argv[3:]:
    label, secs, kib = row.split("|")
    runs.setdefault(label, []).append((float(secs), int(kib)))
print(f"| {mib} MiB | seconds (median of {len(next(iter(runs.values())))}) | MiB/s | client peak RSS (MiB) |")
print("|---|---|---|---|")
for label, r in runs.items():
    secs = statistics.median(s for s, _ in r)
    rss = max(k for _, k in r) / 1024
    print(f"| {label} | {secs:.2f} | {mib / secs:.0f} | {rss:.0f} |")
print(f"\nThe agent's peak RSS (VmHWM) after every run: {hwm / 1024:.0f} MiB.")
PY
