#!/usr/bin/env bash
# What attaching to the agent costs: the same `coffer` commands on the same data dir,
# alone (the command opens the data dir itself) and attached (a `coffer agent` owns
# it; the local database is reached over its Unix socket), timed with hyperfine in
# one run, on the `local` profile (no network: what is measured is Coffer's own
# overhead). Also the agent's idle RSS. Prints a Markdown table.
#
#   COFFER_BIN=target/release/coffer bench/agent.sh     (default: the debug build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bin="${COFFER_BIN:-${CARGO_TARGET_DIR:-target}/debug/coffer}"
[[ -x "$bin" ]] || { echo "no $bin: cargo build -p coffer-cli first" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }
home="$(mktemp -d)"
work="$(mktemp -d)"
export COFFER_HOME="$home" COFFER_API_TOKEN=bench-token
trap 'kill "${agent:-0}" 2>/dev/null || true; rm -rf "$home" "$work"' EXIT

"$bin" mb s3://bench >/dev/null
mkdir -p "$work/many"
for i in $(seq 1 1000); do printf 'object %s\n' "$i" >"$work/many/f$i.txt"; done
"$bin" cp -r "$work/many" s3://bench/many/ >/dev/null
head -c $((64 * 1024 * 1024)) /dev/urandom >"$work/big.bin"

cases=(
    "ls:$bin ls s3://bench/many/"
    "ls -r (1,000 objects):$bin ls s3://bench --recursive"
    "profile list:$bin profile list"
    "jobs list:$bin jobs list"
    "cp 64 MiB up:$bin cp $work/big.bin s3://bench/big.bin"
    "cp 64 MiB down:$bin cp s3://bench/big.bin $work/down.bin"
)

run() {
    local label="$1" json="$2"
    local args=()
    for c in "${cases[@]}"; do args+=(-n "${c%%:*}" "${c#*:}"); done
    hyperfine -N --warmup 2 --runs "${RUNS:-10}" --export-json "$json" "${args[@]}" >/dev/null
    echo "$label done" >&2
}

run alone "$work/alone.json"
"$bin" agent >/dev/null 2>&1 &
agent=$!
for _ in $(seq 1 100); do [[ -S "$home/agent.sock" ]] && break; sleep 0.1; done
mode="$("$bin" -v ls 2>&1 || true)"
[[ "$mode" == *attached* ]] || { echo "the commands did not attach: $mode" >&2; exit 1; }
run attached "$work/attached.json"
rss_kib="$(ps -o rss= -p "$agent" | tr -d ' ')"

python3 - "$work/alone.json" "$work/attached.json" "$rss_kib" <<'PY'
import json, sys
alone = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
attached = {r["command"]: r for r in json.load(open(sys.argv[2]))["results"]}
print("| command | alone (ms, mean ± sd) | attached (ms, mean ± sd) | attached / alone |")
print("|---|---|---|---|")
for name, a in alone.items():
    b = attached[name]
    print(f"| {name} | {a['mean']*1000:.1f} ± {a['stddev']*1000:.1f} | {b['mean']*1000:.1f} ± {b['stddev']*1000:.1f} | {b['mean']/a['mean']:.2f} |")
print(f"\nThe agent's RSS after the attached runs: {int(sys.argv[3]) / 1024:.1f} MiB.")
PY
