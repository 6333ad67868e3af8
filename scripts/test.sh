#!/usr/bin/env bash
# The one command that runs every check: installs what is missing (scripts/setup.sh),
# then, on a private D-Bus session with an unlocked gnome-keyring
# (scripts/with-keyring.sh): rustfmt, one build of every test target with clippy's
# lints as errors, and every test.
#
# Plain `cargo test` (not nextest) on purpose: each test binary then starts its Garage
# and moto once and shares them between its tests. CARGO_TARGET_DIR is honoured.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

if [[ "${COFFER_KEYRING_READY:-}" != 1 ]]; then
    start=$SECONDS
    echo "==> scripts/setup.sh"
    scripts/setup.sh
    echo "==> setup: $((SECONDS - start)) s"
    # Re-enter on the private session bus; setup is not run twice.
    exec scripts/with-keyring.sh "$0" "$@"
fi

# Tools installed by setup.sh may live outside a minimal PATH.
for dir in "$HOME/.cargo/bin" "$HOME/.pyenv/shims" "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"; do
    if [[ -n "$dir" && -d "$dir" && ":$PATH:" != *":$dir:"* ]]; then
        export PATH="$PATH:$dir"
    fi
done

if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    echo "==> CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
fi

total_start=$SECONDS
step() {
    local name="$1"
    shift
    echo "==> $name: $*"
    local start=$SECONDS
    if "$@"; then
        echo "==> $name: ok in $((SECONDS - start)) s"
    else
        local rc=$?
        echo "==> $name: FAILED (exit $rc) after $((SECONDS - start)) s" >&2
        exit "$rc"
    fi
}

# The web UI first: the desktop app embeds ui/dist at compile time, and `coffer
# serve` serves it to the browser tests.
step ui-build scripts/build-ui.sh
step ui-check npm --prefix ui run check --silent
step ui-unit npm --prefix ui test --silent
step fmt cargo fmt --all -- --check
# Clippy runs inside the one build of the tests, as the workspace crates' compiler
# (RUSTC_WORKSPACE_WRAPPER): the dependencies are compiled once, not once for
# `cargo clippy` (check mode) and again for the tests. The lints and `-D warnings`
# are the same as `cargo clippy --workspace --all-targets -- -D warnings` for every
# target the tests build (lib, bins, tests, examples).
clippy_driver="$(rustc --print sysroot)/bin/clippy-driver"
[[ -x "$clippy_driver" ]] || clippy_driver="$(command -v clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
step clippy-and-build cargo test --workspace --no-run
step test cargo test --workspace
# The Debian package: bundled from the binaries the test build made (no second
# compile), installed with dpkg, checked and removed again (root or sudo needed;
# skipped without).
step deb scripts/test-deb.sh --prebuilt

echo "==> all checks passed in $((SECONDS - total_start)) s"
