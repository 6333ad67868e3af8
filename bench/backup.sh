#!/usr/bin/env bash
# P5: the same tree (FILES × 16 KiB plus one BIG_MIB file, random bytes) backed up to
# the same Garage by Coffer (`coffer backup`), restic (Debian's 0.14) and, when it is
# on the PATH, rustic (`cargo install rustic-rs`: the CLI on rustic_core, Coffer's
# engine), in one run: the first backup, the no-change rerun, the full restore, each
# tool's peak RSS and its repository's size. Memory: the same run repeated with a
# file twice as big shows whether Coffer's peak RSS grows with the file.
#
#   COFFER_BIN=target/release/coffer bench/backup.sh        (FILES=10000 BIG_MIB=1024)
#
# Prints a Markdown table; not part of the tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target="${CARGO_TARGET_DIR:-target}"
bin="${COFFER_BIN:-$target/release/coffer}"
kit="${COFFER_TESTKIT_BIN:-$target/debug/coffer-testkit}"
files="${FILES:-10000}"
big_mib="${BIG_MIB:-1024}"
rounds="${ROUNDS:-1}"
for b in "$bin" "$kit"; do
    [[ -x "$b" ]] || { echo "no $b: cargo build --release -p coffer-cli; cargo build -p coffer-testkit" >&2; exit 1; }
done
command -v restic >/dev/null || { echo "restic missing (scripts/setup.sh installs it)" >&2; exit 1; }
work="$(mktemp -d "${BENCH_DIR:-/var/tmp}/coffer-p5.XXXXXX")"
cleanup() {
    kill "${KIT_PID:-0}" 2>/dev/null || true
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
export AWS_ACCESS_KEY_ID="$COFFER_KIT_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$COFFER_KIT_SECRET_ACCESS_KEY"
export RESTIC_PASSWORD=bench-password RUSTIC_PASSWORD=bench-password
password=bench-password

log "generating $files × 16 KiB and one $big_mib MiB file"
src="$work/src"
python3 - "$src" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "small", f"{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(16384))
PY
head -c $((big_mib * 1024 * 1024)) /dev/zero |
    openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:coffer-p5 >"$src/big.bin"

printf %s "$COFFER_KIT_SECRET_ACCESS_KEY" | COFFER_HOME="$work/home" "$bin" profile add bench \
    --endpoint "$E" --region "$COFFER_KIT_REGION" --path-style \
    --access-key-id "$COFFER_KIT_ACCESS_KEY_ID" --secret-stdin >/dev/null
coffer=(env COFFER_HOME="$work/home" "$bin" --profile bench)
restic=(restic -o "s3.region=$COFFER_KIT_REGION" --cache-dir "$work/restic-cache")

rows=()
measure() { # tool step command...
    /usr/bin/time -f '%e %M' -o "$work/time" "${@:3}" >/dev/null 2>"$work/err" ||
        { cat "$work/err" >&2; exit 1; }
    local out
    out="$(tail -1 "$work/time")"
    rows+=("$1|$2|${out% *}|${out#* }")
    log "$1 $2: ${out% *} s, $((${out#* } / 1024)) MiB"
}
repo_size() { # prefix
    "${coffer[@]}" ls "s3://$B/$1/" --recursive --json | python3 -c 'import json,sys; print(sum(json.loads(l)["size"] for l in sys.stdin if l.strip()))'
}

for round in $(seq 1 "$rounds"); do
    # restic
    R="s3:$E/$B/restic-$round"
    "${restic[@]}" -r "$R" init >/dev/null
    measure restic first "${restic[@]}" -r "$R" backup "$src"
    measure restic rerun "${restic[@]}" -r "$R" backup "$src"
    rm -rf "$work/restore"
    measure restic restore "${restic[@]}" -r "$R" restore latest --target "$work/restore"
    cmp -s "$src/big.bin" "$work/restore$src/big.bin" || { echo "restic restore differs" >&2; exit 1; }
    rows+=("restic|size|$(repo_size "restic-$round")|0")

    # Coffer
    C="s3://$B/coffer-$round"
    printf %s "$password" | "${coffer[@]}" backup init "$C" --password-stdin >/dev/null
    measure coffer first "${coffer[@]}" backup run "$C" "$src"
    measure coffer rerun "${coffer[@]}" backup run "$C" "$src"
    rm -rf "$work/restore"
    measure coffer restore "${coffer[@]}" backup restore "$C" latest --target "$work/restore"
    cmp -s "$src/big.bin" "$work/restore$src/big.bin" || { echo "coffer restore differs" >&2; exit 1; }
    rows+=("coffer|size|$(repo_size "coffer-$round")|0")

    # rustic, when installed
    if command -v rustic >/dev/null; then
        U="opendal:s3"
        rustic_env=(env OPENDAL_ENDPOINT="$E" OPENDAL_BUCKET="$B" OPENDAL_ROOT="/rustic-$round"
            OPENDAL_REGION="$COFFER_KIT_REGION" OPENDAL_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID"
            OPENDAL_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" RUSTIC_REPOSITORY="$U"
            RUSTIC_CACHE_DIR="$work/rustic-cache")
        "${rustic_env[@]}" rustic init >/dev/null 2>&1
        measure rustic first "${rustic_env[@]}" rustic backup "$src"
        measure rustic rerun "${rustic_env[@]}" rustic backup "$src"
        rm -rf "$work/restore"
        measure rustic restore "${rustic_env[@]}" rustic restore latest "$work/restore"
        rows+=("rustic|size|$(repo_size "rustic-$round")|0")
    fi
    rm -rf "$work/restore"
done

# Memory against file size: the big file twice as big, Coffer only.
head -c $((2 * big_mib * 1024 * 1024)) /dev/zero |
    openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:coffer-p5-2 >"$work/big2.bin"
M="s3://$B/coffer-mem"
printf %s "$password" | "${coffer[@]}" backup init "$M" --password-stdin >/dev/null
measure coffer "first (one $((2 * big_mib)) MiB file alone)" "${coffer[@]}" backup run "$M" "$work/big2.bin"

python3 - "$files" "$big_mib" "${rows[@]}" <<'PY'
import statistics, sys
files, big = int(sys.argv[1]), int(sys.argv[2])
data = {}
for row in sys.argv[3:]:
    tool, step, a, b = row.split("|")
    data.setdefault((tool, step), []).append((float(a), int(b)))
tools = [t for t in ("coffer", "restic", "rustic") if (t, "first") in data]
def med(tool, step, i=0):
    v = data.get((tool, step))
    return statistics.median(x[i] for x in v) if v else None
print(f"P5: {files} × 16 KiB + {big} MiB ({(files * 16 + big * 1024) / 1024 / 1024:.2f} GiB), same Garage, one run")
print()
print("| tool | first backup (s) | peak RSS (MiB) | rerun (s) | rerun RSS (MiB) | restore (s) | restore RSS (MiB) | repository (MiB) |")
print("|---|---|---|---|---|---|---|---|")
for t in tools:
    print(f"| {t} | {med(t,'first'):.1f} | {max(x[1] for x in data[(t,'first')]) / 1024:.0f} | "
          f"{med(t,'rerun'):.2f} | {max(x[1] for x in data[(t,'rerun')]) / 1024:.0f} | "
          f"{med(t,'restore'):.1f} | {max(x[1] for x in data[(t,'restore')]) / 1024:.0f} | "
          f"{med(t,'size') / 1048576:.0f} |")
if "restic" in tools:
    print()
    for t in tools:
        if t == "restic":
            continue
        print(f"- {t} / restic: first backup {med('restic','first') / med(t,'first'):.2f}× faster, "
              f"RSS {max(x[1] for x in data[(t,'first')]) / max(x[1] for x in data[('restic','first')]):.2f}×, "
              f"rerun {med(t,'rerun') / med('restic','rerun'):.2f}× the time, "
              f"restore {med(t,'restore') / med('restic','restore'):.2f}× the time, "
              f"repository {med(t,'size') / med('restic','size'):.3f}× the size")
for (t, step), v in data.items():
    if step.startswith("first (one"):
        print(f"- memory: Coffer backing up {step[11:-1]}: {v[0][0]:.1f} s, peak RSS {v[0][1] / 1024:.0f} MiB "
              f"(with the {big} MiB tree above: {max(x[1] for x in data[('coffer','first')]) / 1024:.0f} MiB)")
PY
